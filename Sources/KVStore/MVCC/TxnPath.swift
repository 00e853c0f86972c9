/// Which branch a transaction takes, and recursively which branches its nested transactions on that
/// branch take — all decided against the state before the transaction, as etcd does.
struct TxnPath {
    let succeeded: Bool
    /// The paths of the nested transactions of the taken branch, in order.
    let nested: [TxnPath]

    init(_ txn: TxnRequest, view: ReadView) {
        succeeded = txn.compare.allSatisfy { view.holds($0, at: view.currentRevision) }
        var nested: [TxnPath] = []
        for case .txn(let inner) in succeeded ? txn.success : txn.failure {
            nested.append(TxnPath(inner, view: view))
        }
        self.nested = nested
    }

    /// The checks that need state, along the taken path only: leases and keys of puts, and read
    /// revisions of ranges. After these pass, applying the path cannot fail.
    func checkApplicable(_ txn: TxnRequest, state: StoreState) throws(StoreError) {
        var nested = self.nested.makeIterator()
        for op in succeeded ? txn.success : txn.failure {
            switch op {
            case .range(let r): _ = try state.view.readRevision(r.revision)
            case .put(let p): try state.checkApplicable(p)
            case .deleteRange: break
            case .txn(let inner): try nested.next()!.checkApplicable(inner, state: state)
            }
        }
    }
}
