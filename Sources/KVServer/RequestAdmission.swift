import KVProtocol
import KVStore

extension ServerState {
    /// The checks every request passes first, at the top of `Service.handle` (so whatever front end
    /// it came through), before it is authorized and run:
    ///
    /// - its size, as etcd measures it (`Request.encodedSize`), against `--max-request-bytes`:
    ///   `TOO_LARGE`.
    ///
    /// The quota is the store's own check, made under each write's lock (a lease costs
    /// `Store.bytesPerLease`, so grants are refused under NOSPACE as etcd refuses a LeaseGrant).
    /// - Throws: `.requestTooLarge`.
    func admit(_ request: Request) throws(StoreError) {
        try request.checkSize(limit: config.maxRequestBytes)
    }
}
