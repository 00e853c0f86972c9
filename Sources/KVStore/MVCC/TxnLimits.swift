/// How large a transaction may be.
///
/// etcd bounds a transaction by `--max-txn-ops` (`StoreConfiguration.maxTxnOps`, default 128): its
/// compares, and the operations of each branch, may number at most that many, and a nested transaction
/// may use only what its parent leaves (`limit − max(compares, then-ops, else-ops)` of the parent). Each
/// level of nesting so costs at least one operation, which bounds the nesting by the operation limit:
/// with the default, 128 levels of transactions inside the outer one, the innermost empty.
///
/// A bound on the nesting must not depend on a setting, though: every walk over a transaction
/// (checking, applying, encoding and decoding its reply) follows its nesting, and a thread's stack is
/// finite. So, whatever the operation limit, transactions nest at most `maximumNestingDepth` levels
/// inside the outer one — the deepest etcd's default limit allows. (A debug build's walks take about
/// 4.5 KB of stack per level, so the deepest transaction needs well under 1 MB.)
public enum TxnLimits {
    /// etcd's default `--max-txn-ops`.
    public static let defaultMaxOps = 128
    /// The most levels of transactions nested inside a transaction (the outer one not counted).
    public static let maximumNestingDepth = 128
}
