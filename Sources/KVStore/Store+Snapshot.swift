/// Snapshots: the whole store — every key with its retained history, the revisions, the leases — as
/// one checksummed stream (format: `SnapshotFormat`, docs/SNAPSHOT.md).
extension Store {
    /// Streams a snapshot of the store at `revision` (0: the current one) to `sink`, in chunks of
    /// about `chunkSize` bytes. The state is captured in O(1) under the lock (a copy-on-write view);
    /// writing happens outside it, so writers are never held off and memory stays at one chunk.
    ///
    /// A past revision keeps only the history up to it; leases are those live now, and a key whose
    /// lease no longer exists is restored without one.
    /// - Parameter createdAt: Unix time in nanoseconds recorded in the header (the store never reads
    ///   the wall clock itself).
    /// - Throws: `SnapshotError.store` for a compacted or future revision; `.io` when the sink throws.
    @discardableResult
    public func writeSnapshot(revision: Int64 = 0, createdAt: UInt64 = 0, chunkSize: Int = 1 << 16,
                              to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(SnapshotError) -> SnapshotInfo {
        let now = configuration.clock.nowNanoseconds()
        let captured = state.withLock { state in
            UnsafeStep((state.view, state.leases.leases.values.map { ($0.id, $0.grantedTTL, $0.deadline) }))
        }.value
        let (view, leases) = captured
        let at: Int64
        do { at = try view.readRevision(revision) } catch { throw .store(error) }
        let writer = SnapshotWriter(chunkSize: chunkSize, sink: sink)
        var keys = 0
        var versions = 0
        do {
            try writer.raw(SnapshotFormat.magic as [UInt8])
            try writer.fixed32(SnapshotFormat.version)
            try writer.fixed32(0)
            try writer.fixed64(UInt64(bitPattern: at))
            try writer.fixed64(UInt64(bitPattern: view.compactedRevision))
            try writer.fixed64(createdAt)
            try writer.fixed64(configuration.clusterID)
            try writer.fixed64(configuration.memberID)
            try writer.fixed64(0)
            var failure: (any Error)? = nil
            view.index.forEach(in: .fromKey([0])) { key, history in
                do {
                    var kept = 0
                    for record in history where record.modMain <= at { kept += 1 }
                    if key.latest.modMain <= at { kept += 1 }
                    guard kept > 0 else { return true }
                    try writer.byte(SnapshotFormat.keyRecord)
                    try key.latest.withKeyBytes { try writer.bytes($0) }
                    try writer.varint(UInt64(kept))
                    func emit(_ record: KVRecord) throws {
                        try writer.byte(record.isTombstone ? 1 : 0)
                        try writer.varint(record.modMain)
                        try writer.varint(record.modRevision.sub)
                        try writer.varint(record.createRevision)
                        try writer.varint(record.version)
                        try writer.zigzag(record.lease)
                        try record.withValueBytes { try writer.bytes($0) }
                    }
                    for record in history where record.modMain <= at { try emit(record) }
                    if key.latest.modMain <= at { try emit(key.latest) }
                    keys += 1
                    versions += kept
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            for (id, granted, deadline) in leases.sorted(by: { $0.0 < $1.0 }) {
                try writer.byte(SnapshotFormat.leaseRecord)
                try writer.zigzag(id)
                try writer.varint(granted)
                try writer.varint(deadline > now ? (deadline - now) / 1_000_000 : 0)
            }
            try writer.byte(SnapshotFormat.endRecord)
            try writer.varint(UInt64(keys))
            try writer.varint(UInt64(versions))
            try writer.varint(UInt64(leases.count))
            let digest = try writer.finish()
            return SnapshotInfo(formatVersion: SnapshotFormat.version, revision: at, compactedRevision: view.compactedRevision,
                                createdAt: createdAt, clusterID: configuration.clusterID, memberID: configuration.memberID,
                                keyCount: keys, versionCount: versions, leaseCount: leases.count,
                                totalBytes: writer.written, sha256: digest)
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw .io("writing failed: \(error)")
        }
    }

    /// Builds a new store from a snapshot read from `source` (which fills the buffer it is given and
    /// returns the byte count, 0 at the end). Every record is checked and, unless `skipHashCheck`,
    /// the SHA-256 trailer; any problem throws and no store is returned — never a partial one.
    /// With `skipHashCheck` a file whose trailer is missing or wrong is accepted.
    public static func restore(configuration: StoreConfiguration = StoreConfiguration(), skipHashCheck: Bool = false,
                               from source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws(SnapshotError) -> Store {
        let store = Store(configuration: configuration)
        let now = configuration.clock.nowNanoseconds()
        var restored = StoreState(nodeCapacity: configuration.treeNodeCapacity)
        _ = try SnapshotDecoder.decode(from: source, skipHashCheck: skipHashCheck, into: &restored, now: now)
        store.state.withLock { $0 = restored }
        return store
    }

    /// Reads and checks a whole snapshot without building a store (what `snapshot status` reports).
    public static func inspectSnapshot(skipHashCheck: Bool = false,
                                       from source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws(SnapshotError) -> SnapshotInfo {
        try SnapshotDecoder.decode(from: source, skipHashCheck: skipHashCheck, into: nil, now: 0)
    }
}
