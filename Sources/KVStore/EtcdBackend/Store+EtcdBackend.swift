/// etcd's backend database as a snapshot format: written by `writeEtcdSnapshot` / `EtcdSnapshotWriter`,
/// read by `Store.restore` and `Store.inspectSnapshot`, which recognize it from its first bytes (a bbolt
/// meta page) and otherwise read this store's own format (docs/ETCD-SNAPSHOT.md).
extension Store {
    /// Writes the store at `revision` (0: the current one) as an etcd 3.4 backend database, in chunks of
    /// about `chunkSize` bytes. Unlike `writeSnapshot` this orders every version by revision first
    /// (O(V log V), memory for one reference per version). No SHA-256 trailer is added: the file is the
    /// database itself, as in an etcd data dir (`etcdctl snapshot restore --skip-hash-check` takes it;
    /// a `Maintenance.Snapshot` stream appends the trailer).
    /// - Returns: the file's summary, as `snapshot status` reports it.
    @discardableResult
    public func writeEtcdSnapshot(revision: Int64 = 0, chunkSize: Int = 1 << 20,
                                  to sink: (UnsafeRawBufferPointer) throws -> Void) throws(SnapshotError) -> Int {
        let writer = try EtcdSnapshotWriter(store: self, revision: revision)
        do {
            try writer.writeAll(chunkSize: chunkSize, to: sink)
        } catch {
            throw .io("writing failed: \(error)")
        }
        return writer.totalBytes
    }

    /// Builds a store from an etcd backend database held in memory. With `requireHash` a file without
    /// the SHA-256 trailer `etcdctl snapshot save` appends is refused unless `skipHashCheck` (etcdctl's
    /// rule); a data dir's `member/snap/db` has none.
    /// - Parameter notes: told what did not carry over (etcd bcrypt passwords this store cannot check).
    public static func restoreEtcdBackend(_ bytes: UnsafeRawBufferPointer, configuration: StoreConfiguration = StoreConfiguration(),
                                          skipHashCheck: Bool = false, requireHash: Bool = true,
                                          notes: ((String) -> Void)? = nil) throws(SnapshotError) -> Store {
        let store = Store(configuration: configuration)
        var restored = StoreState(nodeCapacity: configuration.treeNodeCapacity)
        let loaded = try EtcdBackendImport.read(bytes, skipHashCheck: skipHashCheck, requireHash: requireHash, into: &restored,
                                                now: configuration.clock.nowNanoseconds())
        restored.changeLog = ChangeLog(floor: restored.currentRevision)
        store.state.withLock { $0 = restored }
        if let auth = loaded.auth { store.auth.load(auth) }
        if let pending = loaded.pendingCompaction {
            // etcd resumes a compaction it had scheduled but not finished; so does the restore.
            do { try store.compact(pending) } catch { throw .store(error) }
        }
        if !loaded.usersWithForeignPasswords.isEmpty {
            notes?("users \(loaded.usersWithForeignPasswords.joined(separator: ", ")) have etcd bcrypt password hashes, which kvserver cannot check: they cannot log in until given a password again (user passwd)")
        }
        return store
    }

    /// Checks an etcd backend database and reports what `etcdctl snapshot status` would (plus the
    /// key, version and lease counts), without building a store.
    public static func inspectEtcdBackend(_ bytes: UnsafeRawBufferPointer, skipHashCheck: Bool = false) throws(SnapshotError) -> SnapshotInfo {
        try EtcdBackendImport.read(bytes, skipHashCheck: skipHashCheck, requireHash: false, into: nil, now: 0).info
    }

    /// Whether `prefix` (a file's first bytes, at least 24) is a bbolt database rather than our format.
    public static func isEtcdBackend(prefix: UnsafeRawBufferPointer) -> Bool {
        EtcdBackendImport.looksLikeBolt(prefix)
    }

    /// What a snapshot source holds: an etcd database (read whole: bbolt files are read at random), or
    /// our format, streamed from a source that first replays the bytes looked at.
    enum SniffedSnapshot {
        case etcd([UInt8])
        case kvserver((UnsafeMutableRawBufferPointer) throws -> Int)
    }

    static func sniff(_ source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws(SnapshotError) -> SniffedSnapshot {
        var head: [UInt8] = []
        do {
            var buffer = [UInt8](repeating: 0, count: 64)
            while head.count < 64 {
                let n = try buffer.withUnsafeMutableBytes { try source(UnsafeMutableRawBufferPointer(rebasing: $0[..<(64 - head.count)])) }
                if n <= 0 { break }
                head += buffer[..<n]
            }
        } catch {
            throw .io("reading failed: \(error)")
        }
        if head.withUnsafeBytes({ EtcdBackendImport.looksLikeBolt($0) }) {
            var whole = head
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let n = try chunk.withUnsafeMutableBytes { try source($0) }
                    if n <= 0 { break }
                    whole += chunk[..<n]
                }
            } catch {
                throw .io("reading failed: \(error)")
            }
            return .etcd(whole)
        }
        var replayed = 0
        return .kvserver { buffer in
            if replayed < head.count {
                let n = min(buffer.count, head.count - replayed)
                head.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[replayed..<(replayed + n)])) }
                replayed += n
                return n
            }
            return try source(buffer)
        }
    }
}
