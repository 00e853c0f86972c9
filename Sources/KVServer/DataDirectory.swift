import Glibc
import KVPosix
import KVProtocol
import KVStore

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

struct DataDirectoryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
