import Glibc
import KVPosix
import KVStore
import KVSync
import KVWAL
import Synchronization

/// Saves the store to the data dir in the background: every `--snapshot-interval`, whenever
/// `--snapshot-count` revisions have passed since the last save, and — with a write-ahead log — when
/// the log's current segment holds `--snapshot-count` records (100,000 by default) or 64 MiB. Saves run
/// on their own thread (the store is captured in O(1) and streamed without holding writers off), never
/// on an event loop.
///
/// With a log, a save first starts a new log segment, then writes the snapshot (which therefore holds
/// every record of the older segments), and only once the snapshot is durable removes those segments:
/// a crash at any point leaves a snapshot and a log that together hold every acknowledged write.
final class SnapshotScheduler: Sendable {
    private let directory: DataDirectory
    private let store: Store
    private let logger: Logger
    private let interval: UInt64
    private let count: Int64
    private let stopping = Atomic<Bool>(false)
    private let lastSavedRevision: Atomic<Int64>
    private let thread = Locked<PosixThread?>(nil)
    private let log: WriteAheadLog?
    /// Log records and bytes in one segment that make a save due (with a log).
    private let logRecordLimit: Int
    private let logByteLimit: Int

    /// How often the thread wakes to check the revision count.
    static let checkInterval: UInt64 = 200_000_000

    init(directory: DataDirectory, store: Store, logger: Logger, log: WriteAheadLog? = nil, interval: UInt64, count: Int64,
         logBytes: Int = 64 << 20) {
        self.log = log
        logByteLimit = logBytes
        logRecordLimit = count > 0 ? Int(clamping: count) : 100_000
        self.directory = directory
        self.store = store
        self.logger = logger
        self.interval = interval
        self.count = count
        lastSavedRevision = Atomic(store.revision)
    }

    var isEnabled: Bool { interval > 0 || count > 0 || log != nil }

    func start() throws {
        guard isEnabled else { return }
        let spawned = try PosixThread.spawn(name: "kv-snapshot") { [self] in run() }
        thread.withLock { $0 = spawned }
    }

    /// Stops the thread (waiting for a save in progress to finish).
    func stop() {
        stopping.store(true, ordering: .relaxed)
        let running = thread.withLock { current -> PosixThread? in
            defer { current = nil }
            return current
        }
        running?.join()
    }

    /// Keys alive at `revision` (the current count if it was compacted since).
    private func liveKeys(at revision: Int64) -> Int64 {
        let everything = RangeRequest(key: [0], rangeEnd: [0], revision: revision, countOnly: true)
        return (try? store.range(everything).count) ?? Int64(store.keyCount)
    }

    /// Saves now and logs the outcome; returns whether it succeeded.
    @discardableResult
    func saveNow(reason: String) -> Bool {
        do {
            // A new segment first: the snapshot then covers every record of the older ones.
            let firstIndex = try log?.rotate()
            let info = try directory.save(store)
            if let log, let firstIndex {
                let removed = try log.removeSegments(before: firstIndex)
                if !removed.isEmpty { logger.debug("removed log segments covered by the snapshot: \(removed.joined(separator: " "))") }
            }
            lastSavedRevision.store(info.revision, ordering: .relaxed)
            // Each figure named for what it counts: live keys (as the load log), the versions and leases
            // the file holds, and their sum, which `snapshot status` reports as etcd's "total keys".
            logger.info("saved snapshot (\(reason)): revision \(info.revision), \(liveKeys(at: info.revision)) live keys, \(info.versionCount) versions of \(info.keyCount) keys, \(info.leaseCount) leases (total keys \(info.versionCount + info.leaseCount)), \(info.totalBytes) bytes to \(directory.snapshotPath)")
            return true
        } catch {
            logger.error("cannot save snapshot to \(directory.snapshotPath): \(error)")
            return false
        }
    }

    private func run() {
        var lastSave = Posix.monotonicNanoseconds()
        while !stopping.load(ordering: .relaxed) {
            var pause = timespec(tv_sec: 0, tv_nsec: Int(SnapshotScheduler.checkInterval))
            nanosleep(&pause, nil)
            let now = Posix.monotonicNanoseconds()
            let revision = store.revision
            let changed = revision != lastSavedRevision.load(ordering: .relaxed)
            let dueByTime = interval > 0 && now &- lastSave >= interval && changed
            let dueByCount = count > 0 && revision - lastSavedRevision.load(ordering: .relaxed) >= count
            let logRecords = log?.segmentRecordCount.load(ordering: .relaxed) ?? 0
            let logBytes = log?.segmentByteCount.load(ordering: .relaxed) ?? 0
            let dueByLog = logRecords >= logRecordLimit || logBytes >= logByteLimit
            if dueByTime || dueByCount || dueByLog {
                saveNow(reason: dueByLog ? "the log holds \(logRecords) records, \(logBytes) bytes since the last save"
                                         : dueByCount ? "\(count) revisions since the last save" : "interval")
                lastSave = Posix.monotonicNanoseconds()
            }
        }
    }
}
