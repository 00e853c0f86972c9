/// Every error the store reports. Each `description` is the exact text etcd's server sends for the same
/// condition, so a client printing `Error: \(error)` matches `etcdctl` byte for byte.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A request named an empty key.
    case emptyKey
    /// The read or compaction names a revision below the compacted revision.
    case compacted(requested: Int64, compactedRevision: Int64)
    /// The read or compaction names a revision above the current revision.
    case futureRevision(requested: Int64, currentRevision: Int64)
    /// `ignoreValue` or `ignoreLease` was used on a key that does not exist.
    case keyNotFound
    /// `ignoreValue` was combined with a non-empty value.
    case valueProvided
    /// `ignoreLease` was combined with a lease.
    case leaseProvided
    /// One transaction branch writes the same key twice (or puts a key it also deletes).
    case duplicateKey
    /// A transaction branch (or its compare list) has more operations than the configured maximum.
    case tooManyOperations(count: Int, limit: Int)
    /// The lease does not exist (or has expired).
    case leaseNotFound(id: Int64)
    /// A lease with the requested ID already exists.
    case leaseExists(id: Int64)
    /// A lease TTL above etcd's maximum.
    case leaseTTLTooLarge(ttl: Int64)
    /// The memory quota is exhausted; writes are refused until space is freed.
    case spaceExceeded
    /// A watch asked for an ID another live watch of the same stream (connection) already has
    /// (see `WatchIDSpace`).
    case watchIDInUse(id: Int64)
    /// A request exceeds the configured request size limit.
    case requestTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .emptyKey: "etcdserver: key is not provided"
        case .compacted: "etcdserver: mvcc: required revision has been compacted"
        case .futureRevision: "etcdserver: mvcc: required revision is a future revision"
        case .keyNotFound: "etcdserver: key not found"
        case .valueProvided: "etcdserver: value is provided"
        case .leaseProvided: "etcdserver: lease is provided"
        case .duplicateKey: "etcdserver: duplicate key given in txn request"
        case .tooManyOperations: "etcdserver: too many operations in txn request"
        case .leaseNotFound: "etcdserver: requested lease not found"
        case .leaseExists: "etcdserver: lease already exists"
        case .leaseTTLTooLarge: "etcdserver: too large lease TTL"
        case .spaceExceeded: "etcdserver: mvcc: database space exceeded"
        case .requestTooLarge: "etcdserver: request is too large"
        case .watchIDInUse: "mvcc: watcher ID already in use"
        }
    }
}
