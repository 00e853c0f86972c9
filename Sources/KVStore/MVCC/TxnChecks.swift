/// The static checks etcd makes on a request before running it: operation counts (and, ours, the
/// nesting depth: see `TxnLimits`), empty keys, contradictory put options, and keys written twice by
/// one transaction branch.
enum TxnChecks {
    static func checkPut(_ put: PutRequest) throws(StoreError) {
        if put.key.isEmpty { throw .emptyKey }
        if put.ignoreValue, !put.value.isEmpty { throw .valueProvided }
        if put.ignoreLease, put.lease != 0 { throw .leaseProvided }
    }

    /// Counts, keys and options of `txn` and everything nested in it, then duplicate writes per branch.
    /// A nested transaction may use only the operations its parent leaves (etcd's rule), and nesting
    /// more than `TxnLimits.maximumNestingDepth` levels inside `txn` is refused as `.tooManyOperations`
    /// with the nesting level as `count` and that limit as `limit` (only reachable with a `maxOps`
    /// above etcd's default, which refuses such nesting by itself). Both are checked level by level before going deeper,
    /// on an explicit stack, so a transaction of any depth is refused without exhausting the thread's
    /// stack; once these checks pass, the recursive walks that follow meet a bounded depth.
    static func check(_ txn: TxnRequest, maxOps: Int) throws(StoreError) {
        try checkShape(txn, maxOps: maxOps)
        _ = try writes(of: txn.success)
        _ = try writes(of: txn.failure)
    }

    /// One level of the walk: its operations, the next one to look at, and the budget its nested
    /// transactions share.
    private struct Level {
        let ops: [RequestOp]
        var next = 0
        let budget: Int
    }

    /// Depth first, in the order a recursive walk takes (a level's count and compares, then its
    /// operations in order, each nested transaction fully before the next operation).
    private static func checkShape(_ txn: TxnRequest, maxOps: Int) throws(StoreError) {
        var stack = [try level(txn, budget: maxOps)]
        while let top = stack.indices.last {
            guard stack[top].next < stack[top].ops.count else {
                stack.removeLast()
                continue
            }
            let op = stack[top].ops[stack[top].next]
            stack[top].next += 1
            switch op {
            case .range(let r): if r.key.isEmpty { throw .emptyKey }
            case .put(let p): try checkPut(p)
            case .deleteRange(let d): if d.key.isEmpty { throw .emptyKey }
            case .txn(let nested):
                let inner = try level(nested, budget: stack[top].budget)
                // `nested` lies `stack.count` levels inside the outer transaction.
                if stack.count > TxnLimits.maximumNestingDepth {
                    throw .tooManyOperations(count: stack.count, limit: TxnLimits.maximumNestingDepth)
                }
                stack.append(inner)
            }
        }
    }

    /// etcd's count check of one level against its budget, and its compares' keys.
    private static func level(_ txn: TxnRequest, budget: Int) throws(StoreError) -> Level {
        let ops = max(txn.compare.count, txn.success.count, txn.failure.count)
        if ops > budget { throw .tooManyOperations(count: ops, limit: budget) }
        for compare in txn.compare where compare.key.isEmpty { throw .emptyKey }
        // ops <= budget, so this cannot overflow.
        return Level(ops: txn.success + txn.failure, budget: budget - ops)
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

    /// Bytes a transaction may write (keys and values of every put, on either branch, nested ones
    /// included); 0 when it only reads or deletes, so such transactions pass even under the NOSPACE
    /// alarm, as in etcd. Call after `check` (which bounds the nesting).
    static func writeCost(_ txn: TxnRequest) -> Int {
        var cost = 0
        for op in txn.success + txn.failure {
            switch op {
            case .put(let put): cost &+= KVRecord.cost(of: put)
            case .txn(let inner): cost &+= writeCost(inner)
            case .range, .deleteRange: break
            }
        }
        return cost
    }
}
