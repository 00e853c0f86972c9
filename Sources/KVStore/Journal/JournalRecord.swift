/// One state change of a store as its journal carries it (see `StoreJournal`, docs/WAL.md).
///
/// Records describe effects, not requests: a transaction is the list of puts and deletes it made at its
/// revision, a lease expiry is the deletes of its keys plus the lease's removal. Replaying them in order
/// on the state they were made from (`Store.replay`) gives the same state, key for key and revision
/// for revision, whatever the store's configuration or clock.
///
///     changes     01  revision: i64  count: u32  change × count
///                     change := 00 key: bytes  lease: i64  value: bytes     (a put)
///                             | 01 key: bytes                              (a delete of that key)
///     compaction  02  revision: i64
///     lease grant 03  id: i64  ttl: i64
///     lease gone  04  id: i64                     (revoked or expired; its keys' deletes came before)
///     auth        05  the whole auth state, as the snapshot's auth record (docs/SNAPSHOT.md)
///
///     bytes := length: u32  byte × length        integers little-endian
public enum JournalRecord: Equatable, Sendable {
    case changes(revision: Int64, [JournalChange])
    case compaction(revision: Int64)
    case leaseGrant(id: Int64, ttl: Int64)
    case leaseRemoval(id: Int64)
    case auth(AuthStore.Contents)

    static let changesTag: UInt8 = 1
    static let compactionTag: UInt8 = 2
    static let leaseGrantTag: UInt8 = 3
    static let leaseRemovalTag: UInt8 = 4
    static let authTag: UInt8 = 5

    /// The largest key or value a record may carry (a corrupt length is refused before allocating).
    static let maximumFieldLength = 1 << 30

    /// The encoded record.
    public var encoded: [UInt8] {
        var bytes = JournalEncoder()
        switch self {
        case .changes(let revision, let changes):
            bytes.changesHeader(revision: revision, count: changes.count)
            for change in changes {
                switch change {
                case .put(let key, let value, let lease):
                    key.withUnsafeBytes { k in value.withUnsafeBytes { v in bytes.putChange(key: k, lease: lease, value: v) } }
                case .delete(let key):
                    key.withUnsafeBytes { bytes.deleteChange(key: $0) }
                }
            }
        case .compaction(let revision):
            bytes.compaction(revision: revision)
        case .leaseGrant(let id, let ttl):
            bytes.leaseGrant(id: id, ttl: ttl)
        case .leaseRemoval(let id):
            bytes.leaseRemoval(id: id)
        case .auth(let contents):
            bytes.byte(Self.authTag)
            bytes.append(JournalRecord.encodeAuth(contents))
        }
        return bytes.bytes
    }

    /// Decodes one record. Every length is checked against the bytes present; nothing traps.
    public static func decode(_ record: UnsafeRawBufferPointer) throws(JournalError) -> JournalRecord {
        var reader = JournalDecoder(record)
        let tag = try reader.byte("a record type")
        let decoded: JournalRecord
        switch tag {
        case changesTag:
            let revision = try reader.int64("a revision")
            let count = Int(try reader.uint32("a change count"))
            var changes: [JournalChange] = []
            // The count is not trusted: memory grows with the bytes actually present.
            changes.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                let kind = try reader.byte("a change kind")
                switch kind {
                case 0:
                    let key = try reader.field("a key")
                    let lease = try reader.int64("a lease")
                    let value = try reader.field("a value")
                    changes.append(.put(key: key, value: value, lease: lease))
                case 1:
                    changes.append(.delete(key: try reader.field("a key")))
                default:
                    throw JournalError(offset: reader.offset - 1, reason: "unknown change kind \(kind)")
                }
            }
            decoded = .changes(revision: revision, changes)
        case compactionTag:
            decoded = .compaction(revision: try reader.int64("a revision"))
        case leaseGrantTag:
            let id = try reader.int64("a lease ID")
            decoded = .leaseGrant(id: id, ttl: try reader.int64("a TTL"))
        case leaseRemovalTag:
            decoded = .leaseRemoval(id: try reader.int64("a lease ID"))
        case authTag:
            decoded = .auth(try decodeAuth(reader.rest))
            reader.skipRest()
        default:
            throw JournalError(offset: 0, reason: "unknown record type \(tag)")
        }
        guard reader.isAtEnd else { throw JournalError(offset: reader.offset, reason: "\(reader.remaining) bytes after the record") }
        return decoded
    }

    static func encodeAuth(_ contents: AuthStore.Contents) -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = SnapshotWriter(chunkSize: 4096) { chunk in bytes.append(contentsOf: chunk) }
        // Writing to memory cannot fail.
        try! SnapshotAuthRecord.write(contents, to: writer)
        try! writer.flush()
        return Array(bytes.dropFirst())  // the snapshot's record tag; the journal has its own
    }

    static func decodeAuth(_ bytes: UnsafeRawBufferPointer) throws(JournalError) -> AuthStore.Contents {
        var remaining = bytes
        var reader = SnapshotReader { buffer in
            let count = min(buffer.count, remaining.count)
            if count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: remaining[..<count])) }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
            return count
        }
        defer { reader.release() }
        do {
            let contents = try SnapshotAuthRecord.read(from: &reader, recordOffset: 0)
            guard try reader.isAtEnd() else { throw JournalError(offset: 1 + reader.offset, reason: "bytes after the auth state") }
            return contents
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(offset: 1, reason: "auth state: \(error)")
        }
    }
}

/// One key's change in a `JournalRecord.changes`.
public enum JournalChange: Equatable, Sendable {
    case put(key: [UInt8], value: [UInt8], lease: Int64)
    case delete(key: [UInt8])
}

/// A journal record that cannot be decoded or replayed.
public struct JournalError: Error, Equatable, CustomStringConvertible {
    /// Where in the record (bytes from its start), when the bytes are at fault.
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) (at byte \(offset) of the record)" }
}
