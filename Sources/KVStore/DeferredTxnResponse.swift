/// A transaction's result whose range reads are still to be produced: each read is a `RangeCursor` over
/// the state the read saw (the transaction's earlier writes included), so a server can send a large
/// result at the pace its client reads, without building it first or walking it under the store's lock.
///
/// `resolved()` turns it into the ordinary `TxnResponse`.
public struct DeferredTxnResponse {
    public var header: ResponseHeader
    /// Whether every compare held (so `success` ran).
    public var succeeded: Bool
    public var responses: [DeferredResponseOp]

    /// The whole response, every read collected.
    public func resolved() -> TxnResponse {
        TxnResponse(header: header, succeeded: succeeded, responses: responses.map { $0.resolved() })
    }
}

/// The result of one `RequestOp` of a transaction, reads still to be produced.
public indirect enum DeferredResponseOp {
    case range(RangeCursor)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(DeferredTxnResponse)

    public func resolved() -> ResponseOp {
        switch self {
        case .range(let cursor): .range(cursor.collect())
        case .put(let response): .put(response)
        case .deleteRange(let response): .deleteRange(response)
        case .txn(let inner): .txn(inner.resolved())
        }
    }
}
