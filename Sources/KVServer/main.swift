import Glibc
import KVPosix

// kvserver: parse flags (exit 2 on a bad command line), start the server, serve until SIGINT or
// SIGTERM, then shut down gracefully and exit 0.

func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}

func fail(_ message: String) -> Never {
    writeStderr("kvserver: \(message)\nRun 'kvserver --help' for usage.\n")
    exit(2)
}

let config: ServerConfig
do {
    config = try ServerConfig.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.description)
}
if config.showHelp {
    print(ServerConfig.usage, terminator: "")
    exit(0)
}
if config.showVersion {
    print("kvserver \(Version.server) (etcd API \(Version.etcdCompatible))")
    exit(0)
}

Signals.ignoreBrokenPipe()
do {
    // Blocked before any thread starts, so every thread inherits the mask and only `sigwait` sees them.
    try Signals.block([SIGINT, SIGTERM])
} catch {
    writeStderr("kvserver: \(error)\n")
    exit(1)
}

let logger = Logger(level: config.logLevel)
let server = Server(config: config, logger: logger)
do {
    _ = try server.start()
} catch {
    logger.error("cannot start: \(error)")
    exit(1)
}

var waited = sigset_t()
sigemptyset(&waited)
sigaddset(&waited, SIGINT)
sigaddset(&waited, SIGTERM)
var received: Int32 = 0
while sigwait(&waited, &received) != 0 {}
logger.info("received \(received == SIGINT ? "SIGINT" : "SIGTERM")")
server.stop()
exit(0)
