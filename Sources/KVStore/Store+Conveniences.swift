/// Shorthands for the common cases, over strings or bytes. Each maps to one `RangeRequest`,
/// `PutRequest` or `DeleteRangeRequest` and has the same guarantees and errors.
extension Store {
    /// The current version of `key`, or nil when it does not exist.
    public func get(_ key: [UInt8]) throws(StoreError) -> KeyValue? {
        try range(RangeRequest(key: key)).kvs.first
    }

    /// The current version of `key`, or nil when it does not exist.
    public func get(_ key: String) throws(StoreError) -> KeyValue? { try get(Array(key.utf8)) }

    /// Every key starting with `prefix`, in key order.
    public func get(prefix: String) throws(StoreError) -> [KeyValue] {
        try range(RangeRequest(.prefix(Array(prefix.utf8)))).kvs
    }

    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0) throws(StoreError) -> PutResponse {
        try put(PutRequest(key: key, value: value, lease: lease))
    }

    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0) throws(StoreError) -> PutResponse {
        try put(Array(key.utf8), Array(value.utf8), lease: lease)
    }

    /// Deletes `key`. - Returns: whether it existed.
    @discardableResult
    public func delete(_ key: String) throws(StoreError) -> Bool {
        try deleteRange(DeleteRangeRequest(key: Array(key.utf8))).deleted > 0
    }

    /// Deletes every key starting with `prefix`. - Returns: how many were deleted.
    @discardableResult
    public func delete(prefix: String) throws(StoreError) -> Int64 {
        try deleteRange(DeleteRangeRequest(.prefix(Array(prefix.utf8)))).deleted
    }

    @discardableResult
    public func compact(_ revision: Int64) throws(StoreError) -> CompactionResponse {
        try compact(CompactionRequest(revision: revision))
    }
}
