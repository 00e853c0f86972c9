/// The header etcd attaches to every response.
public struct ResponseHeader: Hashable, Sendable {
    public var clusterID: UInt64
    public var memberID: UInt64
    /// The store revision after the operation (for reads: the current revision, as etcd reports it).
    public var revision: Int64
    public var raftTerm: UInt64

    public init(clusterID: UInt64 = 0, memberID: UInt64 = 0, revision: Int64, raftTerm: UInt64 = 0) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.revision = revision
        self.raftTerm = raftTerm
    }
}
