/// A compare-and-swap transaction: if every compare holds, `success` runs, otherwise `failure`.
/// All writes of the branch that runs share one revision; reads in it see its earlier writes.
public struct TxnRequest: Hashable, Sendable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]

    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

public struct TxnResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// Whether every compare held (so `success` ran).
    public var succeeded: Bool
    public var responses: [ResponseOp]

    public init(header: ResponseHeader, succeeded: Bool, responses: [ResponseOp]) {
        self.header = header
        self.succeeded = succeeded
        self.responses = responses
    }
}

/// One operation of a transaction branch.
public indirect enum RequestOp: Hashable, Sendable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
}

/// The result of one `RequestOp`, in the same position.
public indirect enum ResponseOp: Hashable, Sendable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
}

/// One condition of a transaction, checked against every key of its range (a single key when
/// `rangeEnd` is empty).
///
/// A key that does not exist compares as version 0, create and mod revision 0, lease 0; a `value`
/// compare on a missing key is always false (etcd's rule: a missing value cannot be told from an empty one).
public struct Compare: Hashable, Sendable {
    public enum Result: Int, Hashable, Sendable { case equal = 0, greater = 1, less = 2, notEqual = 3 }

    public enum Target: Hashable, Sendable {
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case value([UInt8])
        case lease(Int64)
    }

    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    public var result: Result
    public var target: Target

    public init(key: [UInt8], rangeEnd: [UInt8] = [], result: Result, target: Target) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.result = result
        self.target = target
    }
}
