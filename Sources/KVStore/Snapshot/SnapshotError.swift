/// Why a snapshot could not be written, read or restored. Every case says what is wrong and where,
/// so a user can tell a truncated copy from a corrupted one.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with the snapshot magic: not a snapshot, or its first bytes are damaged.
    case notASnapshot
    /// Written by a newer format version than this build reads.
    case unsupportedVersion(UInt32)
    /// The file ends before the structure it promises (at `offset`, while reading `expecting`).
    case truncated(offset: Int, expecting: String)
    /// A record is malformed or contradicts the rest of the file.
    case corrupt(offset: Int, reason: String)
    /// The SHA-256 trailer does not match the contents.
    case checksumMismatch(expected: String, actual: String)
    /// The requested revision cannot be captured.
    case store(StoreError)
    /// The destination or source failed.
    case io(String)
    /// An etcd backend database (bbolt file) is damaged or not one etcd wrote.
    case etcdBackend(String)

    public var description: String {
        switch self {
        case .notASnapshot:
            "snapshot: not a snapshot file (bad magic number in the header)"
        case .unsupportedVersion(let version):
            "snapshot: unsupported format version \(version) (this build reads version \(SnapshotFormat.version))"
        case .truncated(let offset, let expecting):
            "snapshot: file is truncated at byte \(offset) (expected \(expecting))"
        case .corrupt(let offset, let reason):
            "snapshot: corrupt record at byte \(offset): \(reason)"
        case .checksumMismatch(let expected, let actual):
            "snapshot: checksum mismatch (trailer says sha256 \(expected), contents hash to \(actual)); the file is corrupted"
        case .store(let error):
            "snapshot: \(error)"
        case .io(let message):
            "snapshot: \(message)"
        case .etcdBackend(let message):
            "snapshot: etcd backend: \(message)"
        }
    }
}
