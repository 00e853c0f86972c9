/// Snapshots: the whole store — every key with its retained history, the revisions, the leases, the
/// auth users and roles — as one checksummed stream (format: `SnapshotFormat`, docs/SNAPSHOT.md).
extension Store {
    /// Streams a snapshot of the store at `revision` (0: the current one) to `sink`, in chunks of
    /// `chunkSize` bytes (at least 4 KiB, at most 16 MiB; a value larger than half a chunk goes alone).
    /// The state is captured in O(1) under the lock (a copy-on-write view); writing happens outside
    /// it, so writers are never held off and memory stays at one chunk.
    ///
    /// A past revision keeps only the history up to it; leases are those live now, and a key whose
    /// lease no longer exists is restored without one. Auth (users, roles, the enabled flag and the
    /// auth revision) is saved as it is now, never its tokens.
    /// - Parameter createdAt: Unix time in nanoseconds recorded in the header (the store never reads
    ///   the wall clock itself).
    /// - Throws: `SnapshotError.store` for a compacted or future revision; `.io` when the sink throws.
    @discardableResult
    public func writeSnapshot(revision: Int64 = 0, createdAt: UInt64 = 0, chunkSize: Int = 1 << 16,
                              to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(SnapshotError) -> SnapshotInfo {
        let cursor = try SnapshotCursor(store: self, revision: revision, createdAt: createdAt,
                                        chunkSize: chunkSize, sink: sink)
        do {
            try cursor.writeAll()
        } catch {
            throw .io("writing failed: \(error)")
        }
        return cursor.info!
    }

    /// Builds a new store from a snapshot read from `source` (which fills the buffer it is given and
    /// returns the byte count, 0 at the end). Every record is checked and, unless `skipHashCheck`,
    /// the SHA-256 trailer; any problem throws and no store is returned — never a partial one.
    /// With `skipHashCheck` a file whose trailer is missing or wrong is accepted. The new store's auth
    /// holds the saved users and roles (no tokens: clients log in again); a file without an auth record
    /// gives a fresh store's auth.
    ///
    /// An etcd backend database (from `etcdctl snapshot save`) is recognized by its first bytes and
    /// imported instead (`restoreEtcdBackend`); `notes` hears what did not carry over.
    public static func restore(configuration: StoreConfiguration = StoreConfiguration(), skipHashCheck: Bool = false,
                               notes: ((String) -> Void)? = nil,
                               from original: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws(SnapshotError) -> Store {
        let source: (UnsafeMutableRawBufferPointer) throws -> Int
        switch try sniff(original) {
        case .etcd(let bytes):
            return try bytes.withUnsafeBytes { bytes in
                Result { () throws(SnapshotError) in
                    try restoreEtcdBackend(bytes, configuration: configuration, skipHashCheck: skipHashCheck, notes: notes)
                }
            }.get()
        case .kvserver(let replaying):
            source = replaying
        }
        let store = Store(configuration: configuration)
        let now = configuration.clock.nowNanoseconds()
        var restored = StoreState(nodeCapacity: configuration.treeNodeCapacity)
        var auth: AuthStore.Contents? = nil
        _ = try SnapshotDecoder.decode(from: source, skipHashCheck: skipHashCheck, into: &restored, auth: &auth, now: now)
        // The restored history is in the key index; the change log starts at the snapshot's revision.
        restored.changeLog = ChangeLog(floor: restored.currentRevision)
        store.state.withLock { $0 = restored }
        if let auth { store.auth.load(auth) }
        return store
    }

    /// Reads and checks a whole snapshot without building a store (what `snapshot status` reports), in
    /// either format (`SnapshotInfo.format` says which).
    public static func inspectSnapshot(skipHashCheck: Bool = false,
                                       from source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws(SnapshotError) -> SnapshotInfo {
        switch try sniff(source) {
        case .etcd(let bytes):
            return try bytes.withUnsafeBytes { bytes in
                Result { () throws(SnapshotError) in try inspectEtcdBackend(bytes, skipHashCheck: skipHashCheck) }
            }.get()
        case .kvserver(let source):
            return try SnapshotDecoder.decode(from: source, skipHashCheck: skipHashCheck, into: nil, now: 0)
        }
    }
}
