/// A snapshot produced piece by piece: each `next` call returns the following chunk of the file.
/// The state is captured in O(1) when the cursor is made (a copy-on-write view); producing chunks
/// holds no lock, so writers are never held off, and a caller that stops pulling costs nothing but
/// the retained view. The auth contents (users, roles, the enabled flag) are copied at the same moment,
/// so later auth changes do not reach the file either. A server streams a snapshot to a client by pulling one chunk per request.
public final class SnapshotCursor {
    private enum Stage { case header, keys, leases, auth, end, done }

    let view: ReadView
    let leases: [(id: Int64, granted: Int64, remainingMillis: UInt64)]
    /// Nil when auth is as a fresh store has it: then no auth record is written (see `SnapshotAuthRecord`).
    let auth: AuthStore.Contents?
    /// The revision captured.
    public let revision: Int64
    private let createdAt: UInt64
    let clusterID: UInt64
    let memberID: UInt64
    private var stage = Stage.header
    /// The record of the last key written; the next chunk continues after its key.
    private var lastKey: KVRecord? = nil
    private var keys = 0
    private var versions = 0
    /// Encoded bytes not yet returned, from `pendingStart` on: about one chunk plus one record (or the
    /// lease section, which is encoded in one step).
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var writer: SnapshotWriter!
    /// Whether every chunk has been returned by `next`.
    public var isFinished: Bool { stage == .done && pendingStart == pending.count }
    /// The summary, once the whole file is encoded (its last chunks may still be waiting: `isFinished`).
    public private(set) var info: SnapshotInfo?

    /// Captures the store at `revision` (0: the current one). Auth, like leases, is captured as it is
    /// now whatever the revision: auth changes are not part of the key-value history.
    /// - Throws: `.store` for a compacted or future revision.
    public convenience init(store: Store, revision: Int64 = 0, createdAt: UInt64 = 0) throws(SnapshotError) {
        try self.init(store: store, revision: revision, createdAt: createdAt, chunkSize: 1 << 16, sink: nil)
    }

    /// A cursor whose chunks go straight to `sink` (when given) as `writeAll` produces them, rather than
    /// being collected for `next`: `Store.writeSnapshot` saves a copy of every byte this way.
    init(store: Store, revision: Int64, createdAt: UInt64, chunkSize: Int,
         sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws(SnapshotError) {
        let now = store.configuration.clock.nowNanoseconds()
        let captured = store.state.withLock { state in
            (state.view, state.leases.leases.values.map {
                (id: $0.id, granted: $0.grantedTTL, remainingMillis: $0.deadline > now ? ($0.deadline - now) / 1_000_000 : 0)
            })
        }
        view = captured.0
        leases = captured.1.sorted { $0.id < $1.id }
        let authContents = store.auth.contents
        auth = SnapshotAuthRecord.isNeeded(for: authContents) ? authContents : nil
        do { self.revision = try view.readRevision(revision) } catch { throw .store(error) }
        self.createdAt = createdAt
        clusterID = store.configuration.clusterID
        memberID = store.configuration.memberID
        if let sink {
            // The chunk is allocated up front: a huge chunk size must not allocate more than a modest buffer.
            writer = SnapshotWriter(chunkSize: min(chunkSize, SnapshotCursor.maximumChunkSize), sink: sink)
        } else {
            writer = SnapshotWriter(chunkSize: chunkSize) { [unowned self] chunk in
                self.pending.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// The largest chunk `writeAll` hands out, whatever chunk size was asked for (16 MiB).
    static let maximumChunkSize = 1 << 24

    /// Produces the whole file at once, handing it to the sink given at creation in chunks of the
    /// chunk size (a value larger than half a chunk goes on its own, uncopied).
    /// - Throws: whatever the sink throws.
    func writeAll() throws {
        while stage != .done { try advance(budget: .max) }
    }

    /// The next chunk: exactly `maxBytes` bytes (at least 1), except the last chunk, which may be shorter;
    /// nil once the whole file, trailer included, has been returned. A record larger than `maxBytes` (a
    /// large value) is split across chunks: it is encoded once, and its remaining bytes are returned by
    /// the following calls before anything else is encoded.
    public func next(maxBytes: Int = 1 << 16) -> [UInt8]? {
        let limit = max(1, maxBytes)
        if pendingStart > 0 && pending.count - pendingStart < limit {
            // Less than a chunk left of what was encoded: drop the returned bytes before encoding more.
            pending.removeSubrange(0..<pendingStart)
            pendingStart = 0
        }
        do {
            while stage != .done, pending.count - pendingStart + writer.buffered < limit {
                try advance(budget: limit - (pending.count - pendingStart) - writer.buffered)
            }
            try writer.flush()
        } catch {
            // The sink only appends to memory; writing cannot fail.
            preconditionFailure("snapshot chunk encoding failed: \(error)")
        }
        guard pendingStart < pending.count else { return nil }
        let end = min(pending.count, pendingStart + limit)
        let chunk = Array(pending[pendingStart..<end])
        pendingStart = end
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: pending.capacity <= 4 * limit)
            pendingStart = 0
        }
        return chunk
    }

    private func advance(budget: Int) throws {
        switch stage {
        case .header:
            try writer.raw(SnapshotFormat.magic as [UInt8])
            try writer.fixed32(SnapshotFormat.version)
            try writer.fixed32(0)
            try writer.fixed64(UInt64(bitPattern: revision))
            try writer.fixed64(UInt64(bitPattern: view.compactedRevision))
            try writer.fixed64(createdAt)
            try writer.fixed64(clusterID)
            try writer.fixed64(memberID)
            try writer.fixed64(0)
            stage = .keys
        case .keys:
            var written = 0
            var finished = true
            let start = lastKey?.key ?? [0]
            var failure: (any Error)? = nil
            start.withUnsafeBytes { start in view.index.forEachPrefetching(from: start) { key, history in
                if let lastKey, lastKey.withKeyBytes({ key.latest.compareKey(to: $0) }) == 0 { return true }
                if written >= budget {
                    finished = false
                    return false
                }
                do {
                    written += try writeKey(key, history)
                } catch {
                    failure = error
                    return false
                }
                lastKey = key.latest
                return true
            } }
            if let failure { throw failure }
            if finished { stage = .leases }
        case .leases:
            for lease in leases {
                try writer.byte(SnapshotFormat.leaseRecord)
                try writer.zigzag(lease.id)
                try writer.varint(lease.granted)
                try writer.varint(lease.remainingMillis)
            }
            stage = .auth
        case .auth:
            if let auth { try SnapshotAuthRecord.write(auth, to: writer) }
            stage = .end
        case .end:
            try writer.byte(SnapshotFormat.endRecord)
            try writer.varint(UInt64(keys))
            try writer.varint(UInt64(versions))
            try writer.varint(UInt64(leases.count))
            let digest = try writer.finish()
            info = SnapshotInfo(formatVersion: SnapshotFormat.version, revision: revision,
                                compactedRevision: view.compactedRevision, createdAt: createdAt, clusterID: clusterID,
                                memberID: memberID, keyCount: keys, versionCount: versions, leaseCount: leases.count,
                                hasAuth: auth != nil, totalBytes: writer.written, sha256: digest)
            stage = .done
        case .done:
            break
        }
    }

    /// Writes one key record (the versions up to the snapshot revision); returns about how many bytes.
    private func writeKey(_ key: IndexKey, _ history: KeyHistory) throws -> Int {
        var kept = 0
        for record in history where record.modMain <= revision { kept += 1 }
        if key.latest.modMain <= revision { kept += 1 }
        guard kept > 0 else { return 0 }
        var size = 0
        try writer.byte(SnapshotFormat.keyRecord)
        try key.latest.withKeyBytes { size += $0.count; try writer.bytes($0) }
        try writer.varint(UInt64(kept))
        func emit(_ record: KVRecord) throws {
            try writer.byte(record.isTombstone ? 1 : 0)
            try writer.varint(record.modMain)
            try writer.varint(record.modRevision.sub)
            try writer.varint(record.createRevision)
            try writer.varint(record.version)
            try writer.zigzag(record.lease)
            try record.withValueBytes { size += $0.count + 16; try writer.bytes($0) }
        }
        for record in history where record.modMain <= revision { try emit(record) }
        if key.latest.modMain <= revision { try emit(key.latest) }
        keys += 1
        versions += kept
        return size
    }
}
