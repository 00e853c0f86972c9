import Glibc
import KVPosix
import KVStore
import KVSync
import Synchronization

/// Saves the store to the data dir in the background: every `--snapshot-interval`, and whenever
/// `--snapshot-count` revisions have passed since the last save. Saves run on their own thread (the
/// store is captured in O(1) and streamed without holding writers off), never on an event loop.
final class SnapshotScheduler: Sendable {
    private let directory: DataDirectory
    private let store: Store
    private let logger: Logger
    private let interval: UInt64
    private let count: Int64
    private let stopping = Atomic<Bool>(false)
    private let lastSavedRevision: Atomic<Int64>
    private let thread = Locked<PosixThread?>(nil)

    /// How often the thread wakes to check the revision count.
    static let checkInterval: UInt64 = 200_000_000

    init(directory: DataDirectory, store: Store, logger: Logger, interval: UInt64, count: Int64) {
        self.directory = directory
        self.store = store
        self.logger = logger
        self.interval = interval
        self.count = count
        lastSavedRevision = Atomic(store.revision)
    }

    var isEnabled: Bool { interval > 0 || count > 0 }

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
            let info = try directory.save(store)
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
            if dueByTime || dueByCount {
                saveNow(reason: dueByCount ? "\(count) revisions since the last save" : "interval")
                lastSave = Posix.monotonicNanoseconds()
            }
        }
    }
}
