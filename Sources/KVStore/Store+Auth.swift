/// Which permissions each request needs, by etcd's rules. A server calls the matching `authorize`
/// before running a request for the holder of `token` (nil: no credentials given); each is one atomic
/// load while auth is disabled.
///
/// The rules:
/// - range, watch: read on the whole range; put, delete: write on the key or range, plus read when the
///   previous value is asked for (`prevKV`);
/// - a put under a lease: write on every key already attached to that lease (etcd's lease-put check);
/// - txn: read on every compare's range and the rules above for every operation of both branches,
///   nested transactions included — so what a txn may do does not depend on which branch runs;
/// - lease revoke: write on every attached key; lease time-to-live: read on every attached key (so a
///   lease without keys may be revoked by anyone, as in etcd); lease grant: anyone (a token given must
///   still be valid);
/// - lease keep-alive: write on every attached key, as for a revoke. Stricter than etcd, which lets
///   anyone who knows a lease's id keep it alive: keeping a lease alive keeps its keys from being
///   deleted, which only someone who may write them should decide. A lease without keys may still be
///   kept alive by anyone;
/// - compaction, snapshot and hash: root only.
extension Store {
    public func authorize(_ request: RangeRequest, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkPermission(token: token, key: request.key, rangeEnd: request.rangeEnd, write: false)
    }

    public func authorize(_ request: PutRequest, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkPermission(token: token, key: request.key, write: true)
        if request.prevKV { try auth.checkPermission(token: token, key: request.key, write: false) }
        if request.lease != 0 {
            for key in attachedKeys(request.lease) { try auth.checkPermission(token: token, key: key, write: true) }
        }
    }

    public func authorize(_ request: DeleteRangeRequest, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkPermission(token: token, key: request.key, rangeEnd: request.rangeEnd, write: true)
        if request.prevKV {
            try auth.checkPermission(token: token, key: request.key, rangeEnd: request.rangeEnd, write: false)
        }
    }

    /// Walks the transaction depth first, in request order, on an explicit stack: it runs before the
    /// store's own checks, so it must not recurse into a nesting of any depth.
    public func authorize(_ request: TxnRequest, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        var pending: [IndexingIterator<[RequestOp]>] = []
        var next: TxnRequest? = request
        while true {
            if let txn = next {
                next = nil
                for compare in txn.compare {
                    try auth.checkPermission(token: token, key: compare.key, rangeEnd: compare.rangeEnd, write: false)
                }
                pending.append((txn.success + txn.failure).makeIterator())
            }
            guard let top = pending.indices.last else { return }
            guard let op = pending[top].next() else {
                pending.removeLast()
                continue
            }
            switch op {
            case .range(let range): try authorize(range, token: token)
            case .put(let put): try authorize(put, token: token)
            case .deleteRange(let delete): try authorize(delete, token: token)
            case .txn(let inner): next = inner
            }
        }
    }

    public func authorize(_ request: WatchRequest, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkPermission(token: token, key: request.key, rangeEnd: request.rangeEnd, write: false)
    }

    /// Revoking a lease deletes its keys: write on each of them.
    public func authorizeLeaseRevoke(_ id: Int64, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkToken(token)
        for key in attachedKeys(id) { try auth.checkPermission(token: token, key: key, write: true) }
    }

    /// Keeping a lease alive keeps its keys from being deleted: write on each of them (etcd asks for
    /// nothing).
    public func authorizeLeaseKeepAlive(_ id: Int64, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkToken(token)
        for key in attachedKeys(id) { try auth.checkPermission(token: token, key: key, write: true) }
    }

    /// A lease's time-to-live names its keys: read on each of them.
    public func authorizeLeaseTimeToLive(_ id: Int64, token: String?) throws(AuthError) {
        guard auth.isEnabled else { return }
        try auth.checkToken(token)
        for key in attachedKeys(id) { try auth.checkPermission(token: token, key: key, write: false) }
    }

    /// The keys attached to a lease (none for an unknown lease).
    func attachedKeys(_ id: Int64) -> [[UInt8]] {
        state.withLock { state in state.leases[id].map { Array($0.keys) } ?? [] }
    }
}
