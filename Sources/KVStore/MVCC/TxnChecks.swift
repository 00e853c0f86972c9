/// The static checks etcd makes on a request before running it: operation counts, empty keys,
/// contradictory put options, and keys written twice by one transaction branch.
enum TxnChecks {
    static func checkPut(_ put: PutRequest) throws(StoreError) {
        if put.key.isEmpty { throw .emptyKey }
        if put.ignoreValue, !put.value.isEmpty { throw .valueProvided }
        if put.ignoreLease, put.lease != 0 { throw .leaseProvided }
    }

    /// Counts, keys and options of `txn` and everything nested in it, then duplicate writes per branch.
    /// A nested transaction may use only the operations its parent leaves (etcd's rule).
    static func check(_ txn: TxnRequest, maxOps: Int) throws(StoreError) {
        try checkShape(txn, maxOps: maxOps)
        _ = try writes(of: txn.success)
        _ = try writes(of: txn.failure)
    }

    private static func checkShape(_ txn: TxnRequest, maxOps: Int) throws(StoreError) {
        let ops = max(txn.compare.count, txn.success.count, txn.failure.count)
        if ops > maxOps { throw .tooManyOperations(count: ops, limit: maxOps) }
        for compare in txn.compare where compare.key.isEmpty { throw .emptyKey }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let r): if r.key.isEmpty { throw .emptyKey }
            case .put(let p): try checkPut(p)
            case .deleteRange(let d): if d.key.isEmpty { throw .emptyKey }
            case .txn(let nested): try checkShape(nested, maxOps: maxOps - ops)
            }
        }
    }

    /// The keys put and the ranges deleted by one branch, refusing a key put twice or put inside a
    /// deleted range. The two branches of a nested transaction exclude each other, so a key put by
    /// both is fine.
    private static func writes(of ops: [RequestOp]) throws(StoreError) -> (puts: Set<[UInt8]>, deletes: [KeyRange]) {
        var deletes: [KeyRange] = []
        for case .deleteRange(let d) in ops { deletes.append(KeyRange(key: d.key, rangeEnd: d.rangeEnd)) }
        var puts: Set<[UInt8]> = []
        func deleted(_ key: [UInt8]) -> Bool { deletes.contains { $0.contains(key) } }
        for case .txn(let nested) in ops {
            let then = try writes(of: nested.success)
            let otherwise = try writes(of: nested.failure)
            for key in then.puts {
                if puts.contains(key) || deleted(key) { throw .duplicateKey }
                puts.insert(key)
            }
            for key in otherwise.puts {
                if puts.contains(key), !then.puts.contains(key) { throw .duplicateKey }
                if deleted(key) { throw .duplicateKey }
                puts.insert(key)
            }
            deletes += then.deletes
            deletes += otherwise.deletes
        }
        for case .put(let p) in ops {
            if puts.contains(p.key) || deleted(p.key) { throw .duplicateKey }
            puts.insert(p.key)
        }
        return (puts, deletes)
    }
}
