/// A delete of one key or a range of keys (see `KeyRange` for the `rangeEnd` conventions).
public struct DeleteRangeRequest: Hashable, Sendable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    /// Return the deleted versions.
    public var prevKV: Bool

    public init(key: [UInt8], rangeEnd: [UInt8] = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }

    public init(_ range: KeyRange, prevKV: Bool = false) {
        let (key, end) = range.wire
        self.init(key: key, rangeEnd: end, prevKV: prevKV)
    }
}

public struct DeleteRangeResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// How many keys were deleted; 0 means nothing changed and the revision did not advance.
    public var deleted: Int64
    public var prevKVs: [KeyValue]

    public init(header: ResponseHeader, deleted: Int64, prevKVs: [KeyValue] = []) {
        self.header = header
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}
