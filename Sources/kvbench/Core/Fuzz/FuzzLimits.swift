/// The server limits a fuzz run aims its edge cases at; they must match the server's configuration
/// (`--max-request-bytes`, `--max-txn-ops`) for the cases to land on the edges.
public struct FuzzLimits: Hashable, Sendable {
    /// The server's `--max-request-bytes` (etcd's 1.5 MiB by default).
    public var maxRequestBytes: Int
    /// The server's `--max-txn-ops`.
    public var maxTxnOps: Int

    public init(maxRequestBytes: Int = 1_572_864, maxTxnOps: Int = 128) {
        self.maxRequestBytes = maxRequestBytes
        self.maxTxnOps = maxTxnOps
    }

    /// The longest request line the server reads (docs/PROTOCOL.md §1): the request limit plus 64 KiB.
    public var lineBytes: Int { maxRequestBytes + 65_536 }
}
