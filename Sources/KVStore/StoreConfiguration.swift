/// How a `Store` is set up. Every field has a sensible default; an embedding app usually needs none.
public struct StoreConfiguration: Sendable {
    /// Reported in every response header.
    public var clusterID: UInt64
    /// Reported in every response header.
    public var memberID: UInt64
    /// Reported in every response header (a single member stays in one term).
    public var raftTerm: UInt64
    /// The most compares, or operations per branch, one transaction may carry (etcd's `--max-txn-ops`).
    public var maxTxnOps: Int
    /// The time source for lease expiry.
    public var clock: any StoreClock
    /// Elements per B-tree node; tiny values (≥ 4) make tests split and merge nodes.
    public var treeNodeCapacity: Int
    /// Seconds an auth token stays valid after its last use (etcd's `--auth-token-ttl`).
    public var authTokenTTL: Int
    /// PBKDF2 iterations for new password hashes; lower only in tests.
    public var passwordHashIterations: Int
    /// The most bytes `Store.sizeInBytes` may reach (etcd's `--quota-backend-bytes`): a write that would
    /// take the store over it is refused with `.spaceExceeded` and raises the NOSPACE alarm, checked
    /// under the write's own lock. `Int.max` (the default): no quota.
    public var quotaBytes: Int

    public init(clusterID: UInt64 = 0, memberID: UInt64 = 0, raftTerm: UInt64 = 2, maxTxnOps: Int = 128,
                clock: any StoreClock = SystemClock(), treeNodeCapacity: Int = 64, authTokenTTL: Int = 300,
                passwordHashIterations: Int = PasswordHash.defaultIterations, quotaBytes: Int = .max) {
        self.quotaBytes = max(0, quotaBytes)
        self.authTokenTTL = max(1, authTokenTTL)
        self.passwordHashIterations = max(1, passwordHashIterations)
        self.clusterID = clusterID
        self.memberID = memberID
        self.raftTerm = raftTerm
        self.maxTxnOps = maxTxnOps
        self.clock = clock
        self.treeNodeCapacity = max(4, treeNodeCapacity)
    }
}
