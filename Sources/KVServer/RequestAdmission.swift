import KVProtocol
import KVStore

extension ServerState {
    /// The checks every request passes first, at the top of `Dispatcher.dispatch` (so whatever front end
    /// it came through), before it is authorized and run:
    ///
    /// - its size, as etcd measures it (`Request.encodedSize`), against `--max-request-bytes`:
    ///   `TOO_LARGE`;
    /// - for a request that creates a lease (`LEASE-GRANT`, `PUT --ttl`), the quota: a lease costs
    ///   `Store.bytesPerLease` of the store's size, so none is granted while the NOSPACE alarm is raised
    ///   or when it would take the store over the quota (`NO_SPACE`, as etcd's quota check and capped
    ///   applier refuse a LeaseGrant). Keys and values the request writes are admitted as before, by
    ///   the dispatcher.
    ///
    /// - Throws: `.requestTooLarge`, `.spaceExceeded`.
    func admit(_ request: Request) throws(StoreError) {
        try request.checkSize(limit: config.maxRequestBytes)
        switch request {
        case .leaseGrant, .leasedPut: try admitWrite(cost: Store.bytesPerLease)
        default: break
        }
    }
}
