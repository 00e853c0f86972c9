import KVProtocol
import KVStore

/// What the service made of one request: a typed result, or an action the front end carries out in its
/// own way (produce a large reply as the client reads, wait for a worker, change its watch streams). The
/// service never writes bytes; each front end turns these into its wire format.
enum ServiceOutcome {
    /// The reply.
    case response(Response)
    /// The request failed (etcd's errors, as `WireError`s).
    case failure(WireError)
    /// A range read to be produced in steps (see `RangeCursor`).
    case range(RangeCursor)
    /// A transaction whose reads are to be produced in steps.
    case txn(DeferredTxnResponse)
    /// A long job to run on the worker; its result is the reply.
    case job(@Sendable () -> Result<Response, WireError>)
    /// Start a watch on the client's stream (authorized; the front end owns its watch streams).
    case watch(WatchRequest)
    /// Cancel one of the client's watches.
    case unwatch(Int64)
    /// Ask every watch of the client for a progress notification; the reply carries this header.
    case progress(ResponseHeader)
}
