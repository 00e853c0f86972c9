import Glibc
import KVPosix
import KVProtocol
import KVStore
import KVWAL

/// The server's data dir: the store saved as one snapshot file, `kv.snap` (format: docs/SNAPSHOT.md).
/// Saves are atomic (temporary file, fsync, rename, fsync of the directory), so a crash during a save
/// leaves the previous snapshot intact; the temporary file it leaves is removed at the next start.
struct DataDirectory: Sendable {
    let path: String

    static let snapshotName = DataDirectoryLayout.snapshotFile

    var snapshotPath: String { path + "/" + DataDirectory.snapshotName }

    /// Creates the directory (mode 0700) when it does not exist.
    func prepare() throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw DataDirectoryError("\(path) exists and is not a directory") }
            return
        }
        _ = try Posix.call("mkdir") { mkdir(path, 0o700) }
    }

    /// The write-ahead log's directory (`wal/`, one file per segment: docs/WAL.md).
    var logPath: String { path + "/wal" }

    /// The lock file that keeps a second server off this data dir.
    var lockPath: String { path + "/kvserver.lock" }

    /// Takes the data dir for this process (an exclusive `flock` on `kvserver.lock`, held until exit), or
    /// says which process has it. Two servers appending to one log would corrupt it.
    func lock() throws {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DataDirectoryError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var holder = [UInt8](repeating: 0, count: 32)
            let count = holder.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            Glibc.close(fd)
            let pid = count > 0 ? String(decoding: holder[0..<count], as: UTF8.self).trimmingNewlines : "unknown"
            if code == EWOULDBLOCK {
                throw DataDirectoryError("data dir \(path) is in use by another kvserver (pid \(pid))")
            }
            throw DataDirectoryError("cannot lock \(lockPath): \(String(cString: strerror(code)))")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        // The descriptor stays open (and locked) for the life of the process.
    }

    /// Replays the write-ahead log onto `store` (loaded from the snapshot, or fresh) and returns the log,
    /// ready to `start`, continuing after its last record. Repairs of what a crash left are logged.
    func recoverLog(into store: Store, mode: WALSyncMode, logger: Logger) throws -> WriteAheadLog {
        let started = Posix.monotonicNanoseconds()
        let outcome = try WALRecovery.recover(directory: logPath, storage: PosixWALStorage()) { _, record throws(JournalError) in
            try store.replay(record)
        }
        for repair in outcome.repairs { logger.warn("write-ahead log: \(repair)") }
        let milliseconds = (Posix.monotonicNanoseconds() - started) / 1_000_000
        if outcome.records > 0 {
            logger.info("replayed write-ahead log \(logPath): \(outcome.records) records in \(outcome.segments.count) segments (\(outcome.bytes) bytes), \(outcome.applied) applied after the snapshot, in \(milliseconds) ms: revision \(store.revision), \(store.keyCount) live keys")
        } else {
            logger.info("write-ahead log \(logPath): no records to replay")
        }
        return WriteAheadLog(directory: logPath, lastIndex: outcome.lastIndex, mode: mode)
    }

    /// Removes the temporary snapshot files that saves interrupted by a crash or `kill -9` left
    /// (`kv.snap.tmp-<pid>-<n>`, each as large as the store), unless their process still runs; call it at
    /// start, before any save. Nothing else in the directory is touched.
    /// - Returns: the names removed, with their sizes.
    func removeStaleTemporaryFiles() throws -> [(name: String, bytes: Int)] {
        try AtomicFile.removeStaleTemporaries(of: snapshotPath)
    }

    /// An etcd data dir's backend database (`etcdctl snapshot restore --data-dir DIR` makes one).
    var etcdDatabasePath: String { path + "/member/snap/db" }

    /// The store saved here, or nil when there is no snapshot yet. A snapshot that fails its checks is an
    /// error: the server refuses to start rather than start empty and later overwrite it.
    ///
    /// `kv.snap` may also be etcd's format (a file from `etcdctl snapshot save`); without a `kv.snap`,
    /// an etcd data dir's `member/snap/db` is loaded (it has no SHA-256 trailer: bbolt's own checks
    /// apply). The first save then writes `kv.snap`; etcd's files are left as they are.
    func load(configuration: StoreConfiguration, notes: ((String) -> Void)? = nil) throws -> (store: Store, bytes: Int)? {
        let reader: FileReader
        do {
            reader = try FileReader(path: snapshotPath)
        } catch let error where error.code == ENOENT {
            return try loadEtcdDatabase(configuration: configuration, notes: notes)
        }
        let bytes = try reader.size()
        let store = try Store.restore(configuration: configuration, notes: notes) { buffer in try reader.read(into: buffer) }
        return (store, bytes)
    }

    private func loadEtcdDatabase(configuration: StoreConfiguration, notes: ((String) -> Void)?) throws -> (store: Store, bytes: Int)? {
        let reader: FileReader
        do {
            reader = try FileReader(path: etcdDatabasePath)
        } catch let error where error.code == ENOENT {
            return nil
        }
        // etcd's database carries no hash of its own: bbolt's and etcd's checks are what apply.
        let store = try Store.restore(configuration: configuration, skipHashCheck: true, notes: notes) { buffer in try reader.read(into: buffer) }
        return (store, try reader.size())
    }

    /// Saves the store's current state, replacing the previous snapshot atomically.
    @discardableResult
    func save(_ store: Store) throws -> SnapshotInfo {
        var info: SnapshotInfo?
        try AtomicFile.write(snapshotPath) { sink in
            try withoutActuallyEscaping(sink) { sink in
                info = try store.writeSnapshot(createdAt: DataDirectory.wallClockNanoseconds(), chunkSize: 1 << 20, to: sink)
            }
        }
        return info!
    }

    /// Unix time in nanoseconds, recorded in the snapshot header.
    static func wallClockNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}

extension String {
    fileprivate var trimmingNewlines: String {
        String(self.prefix { $0 != "\n" && $0 != "\0" })
    }
}

struct DataDirectoryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
