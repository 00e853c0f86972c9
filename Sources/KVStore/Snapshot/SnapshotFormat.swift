/// The snapshot file format, version 1 (specified in docs/SNAPSHOT.md). All integers in the fixed
/// header are little-endian; record fields are LEB128 varints (signed ones zigzag-encoded).
///
///     header   magic "KVSNAP\r\n", u32 version, u32 flags (0), i64 revision, i64 compacted revision,
///              u64 created-at (Unix ns, 0 = unknown), u64 cluster ID, u64 member ID, 8 zero bytes
///     records  0x01 key:   len, key, count, then per version (oldest first): flags (bit 0 = tombstone),
///                          mod main, mod sub, create revision, version, lease (zigzag), len, value
///              0x02 lease: id (zigzag), granted TTL (s), remaining TTL (ms)
///              0x03 auth:  at most one, after the leases, only when auth differs from a fresh store's
///                          (see `SnapshotAuthRecord`)
///              0xFF end:   key count, version count, lease count
///     trailer  SHA-256 of every byte before it, then "KVSNEND\n"
enum SnapshotFormat {
    static let magic: [UInt8] = Array("KVSNAP\r\n".utf8)
    static let endMagic: [UInt8] = Array("KVSNEND\n".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64
    static let trailerSize = 32 + 8

    static let keyRecord: UInt8 = 0x01
    static let leaseRecord: UInt8 = 0x02
    static let authRecord: UInt8 = 0x03
    static let endRecord: UInt8 = 0xFF

    /// The largest header revision a reader accepts: 2^62, room for a million writes a second for
    /// 140,000 years before the store's revision could overflow.
    static let maximumRevision: Int64 = 1 << 62
    /// Sanity bounds checked on read, so a corrupted length cannot make the reader allocate wildly.
    static let maximumKeyLength = 1 << 24
    static let maximumValueLength = 1 << 30
    /// User and role names: as long as a key may be (etcd sets no smaller limit).
    static let maximumNameLength = maximumKeyLength
    /// A password hash's salt and digest (the store writes 16 and 32 bytes).
    static let maximumHashFieldLength = 1024
}

/// Which format a snapshot file is in.
public enum SnapshotFileFormat: String, Hashable, Sendable {
    /// This store's own format (docs/SNAPSHOT.md).
    case kvserver
    /// etcd 3.4's backend database, a bbolt file (docs/ETCD-SNAPSHOT.md).
    case etcd
}

/// What a snapshot holds, from its header and end record; `sha256` is the trailer's hash.
///
/// For an etcd backend file the fields follow `etcdctl snapshot status`: `revision` is the newest
/// revision in the `key` bucket, `totalBytes` the database's pages (bbolt's `tx.Size`), `hash` the
/// CRC-32C over every bucket name, key and value, `statusKeyCount` every entry of every bucket.
public struct SnapshotInfo: Hashable, Sendable {
    public var formatVersion: UInt32
    public var revision: Int64
    public var compactedRevision: Int64
    /// Unix time of the save in nanoseconds (0 when unknown).
    public var createdAt: UInt64
    public var clusterID: UInt64
    public var memberID: UInt64
    /// Keys in the file, including keys whose latest version is a delete still within the history.
    public var keyCount: Int
    public var versionCount: Int
    public var leaseCount: Int
    /// Whether the file holds an auth record (users, roles or the enabled flag; see docs/SNAPSHOT.md).
    public var hasAuth: Bool
    /// The file's size in bytes.
    public var totalBytes: Int
    public var sha256: [UInt8]
    public var format: SnapshotFileFormat = .kvserver
    /// etcd files: the CRC-32C `etcdctl snapshot status` prints.
    public var etcdHash: UInt32 = 0
    /// etcd files: the entries of every bucket.
    public var etcdKeyCount: Int = 0

    /// The 32-bit hash `snapshot status` prints: the first four bytes of the SHA-256 (big-endian) for
    /// our format, etcd's CRC-32C for an etcd file.
    public var hash: UInt32 {
        format == .etcd ? etcdHash : sha256.prefix(4).reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// The "total keys" `snapshot status` prints: for our format every retained version plus every lease,
    /// for an etcd file every entry of every bucket (etcd's rule).
    public var statusKeyCount: Int {
        format == .etcd ? etcdKeyCount : versionCount + leaseCount
    }
}
