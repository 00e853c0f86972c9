import Glibc
import KVPosix
import KVStore
import KVWAL

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
var writeAheadLog: WriteAheadLog? = nil
let dataDirectory = config.dataDir.map { DataDirectory(path: $0) }
if let dataDirectory {
    do {
        try dataDirectory.prepare()
        try dataDirectory.lock()
        for stale in try dataDirectory.removeStaleTemporaryFiles() {
            logger.info("removed \(dataDirectory.path)/\(stale.name) (\(stale.bytes) bytes), left by an interrupted snapshot save")
        }
        let configuration = ServerState.storeConfiguration(config: config, clock: clock)
        let store: Store
        if let (snapshot, bytes) = try dataDirectory.load(configuration: configuration,
                                                          notes: { logger.warn("data dir \(dataDirectory.path): \($0)") }) {
            store = snapshot
            logger.info("loaded snapshot \(dataDirectory.snapshotPath): revision \(store.revision), compacted \(store.compactedRevision), \(store.keyCount) live keys, \(bytes) bytes")
        } else {
            store = Store(configuration: configuration)
            logger.info("no snapshot in \(dataDirectory.path) yet")
        }
        writeAheadLog = try dataDirectory.recoverLog(into: store, mode: config.walSync, logger: logger)
        loaded = store
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
let server = Server(config: config, clock: clock, logger: logger, store: loaded, writeAheadLog: writeAheadLog)
if let writeAheadLog, let store = loaded {
    switch config.walSync {
    case .always:
        logger.info("write-ahead log \(writeAheadLog.directory): every write is acknowledged once it is on disk (--wal-sync always)")
    case .interval:
        logger.warn("write-ahead log \(writeAheadLog.directory): --wal-sync \(config.walSync): writes are acknowledged once written, before they are synced; a power cut or an OS crash may lose the last \(config.walSync.description.dropFirst("interval=".count)) of acknowledged writes (a crash of kvserver alone loses none)")
    case .none:
        logger.warn("write-ahead log \(writeAheadLog.directory): --wal-sync none: THE LOG IS NEVER SYNCED; a power cut or an OS crash may lose every write since the last snapshot. For tests and benchmarks only.")
    }
    let gate = server.state.durabilityGate
    writeAheadLog.onDurable = { _ in gate?.recordsBecameDurable() }
    writeAheadLog.onFault = { error in
        if let error {
            store.raiseNoSpaceAlarm()
            logger.error("write-ahead log: \(error): writes are refused (alarm NOSPACE) and unacknowledged writes wait; writing again every second")
        } else {
            let cleared = store.clearNoSpaceAlarmIfUnderQuota()
            logger.info("write-ahead log: writing works again\(cleared ? "; alarm NOSPACE cleared" : "")")
        }
    }
    store.attachJournal(writeAheadLog)
    do {
        try writeAheadLog.start(startRevision: store.revision)
    } catch {
        logger.error("cannot start the write-ahead log in \(writeAheadLog.directory): \(error)")
        exit(1)
    }
}
do {
    _ = try server.start()
} catch {
    logger.error("cannot start: \(error)")
    exit(1)
}
let scheduler = dataDirectory.map {
    SnapshotScheduler(directory: $0, store: server.store, logger: logger, log: writeAheadLog,
                      interval: config.snapshotInterval, count: config.snapshotCount, logBytes: config.snapshotLogBytes)
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
    guard let writeAheadLog else { exit(1) }
    // Nothing is lost: the log holds every write since the last snapshot, replayed at the next start.
    writeAheadLog.stop()
    logger.warn("the shutdown snapshot was not saved; the write-ahead log holds every write since the last one and the next start replays it")
    logger.info("stopped")
    exit(0)
}
writeAheadLog?.stop()
// Last: tools that wait for "stopped" may take the data dir from here on.
logger.info("stopped")
exit(0)
