import Glibc
import KVPosix
import KVStore

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

/// The process's environment (`ETCD_*` variables set flags, as for etcd).
func processEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let text = String(cString: entry)
        if let eq = text.firstIndex(of: "=") { environment[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
        p += 1
    }
    return environment
}

func fail(_ message: String) -> Never {
    writeStderr("kvserver: \(message)\nRun 'kvserver --help' for usage.\n")
    exit(2)
}

let config: ServerConfig
do {
    config = try ServerConfig.parse(Array(CommandLine.arguments.dropFirst()), environment: processEnvironment())
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
// Every client connection takes a descriptor: use all the hard limit allows (as etcd and Redis do).
do {
    let (before, after) = try DescriptorLimit.raiseSoftToHard()
    if after.soft != before.soft {
        logger.info("file descriptor limit raised from \(before.soft) to \(after)")
    } else {
        logger.info("file descriptor limit: \(after)")
    }
} catch {
    logger.warn("cannot raise the file descriptor limit to the hard limit: \(error); it stays \((try? DescriptorLimit.current())?.description ?? "unknown")")
}
let clock = SystemClock()
var loaded: Store? = nil
let dataDirectory = config.dataDir.map { DataDirectory(path: $0) }
if let dataDirectory {
    do {
        try dataDirectory.prepare()
        for stale in try dataDirectory.removeStaleTemporaryFiles() {
            logger.info("removed \(dataDirectory.path)/\(stale.name) (\(stale.bytes) bytes), left by an interrupted snapshot save")
        }
        if let (store, bytes) = try dataDirectory.load(configuration: ServerState.storeConfiguration(config: config, clock: clock),
                                                      notes: { logger.warn("data dir \(dataDirectory.path): \($0)") }) {
            loaded = store
            logger.info("loaded snapshot \(dataDirectory.snapshotPath): revision \(store.revision), compacted \(store.compactedRevision), \(store.keyCount) live keys, \(bytes) bytes")
        } else {
            logger.info("no snapshot in \(dataDirectory.path) yet: starting empty; it is saved there on shutdown")
        }
    } catch {
        logger.error("cannot load the data dir \(dataDirectory.path): \(error)")
        exit(1)
    }
}
if !config.ignoredEtcdFlags.isEmpty {
    logger.info("ignoring etcd flags that mean nothing for a single in-memory member: \(config.ignoredEtcdFlags.joined(separator: " "))")
}
for variable in EtcdFlags.arguments(fromEnvironment: processEnvironment()).unknown {
    logger.warn("unrecognized environment variable \(variable)")
}
let server = Server(config: config, clock: clock, logger: logger, store: loaded)
do {
    _ = try server.start()
} catch {
    logger.error("cannot start: \(error)")
    exit(1)
}
let scheduler = dataDirectory.map {
    SnapshotScheduler(directory: $0, store: server.store, logger: logger,
                      interval: config.snapshotInterval, count: config.snapshotCount)
}
do {
    try scheduler?.start()
} catch {
    logger.error("cannot start the snapshot thread: \(error)")
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
scheduler?.stop()
if let scheduler, !scheduler.saveNow(reason: "shutdown") {
    exit(1)
}
// Last: tools that wait for "stopped" may take the data dir from here on.
logger.info("stopped")
exit(0)
