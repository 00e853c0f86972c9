/// How a range read orders its results.
public enum SortOrder: Int, Hashable, Sendable { case none = 0, ascend = 1, descend = 2 }

/// What a range read sorts by.
public enum SortTarget: Int, Hashable, Sendable { case key = 0, version = 1, create = 2, mod = 3, value = 4 }

/// A read of one key or a range of keys, with every option etcd's `RangeRequest` has.
public struct RangeRequest: Hashable, Sendable {
    /// The first key, or the only one (see `KeyRange` for the `rangeEnd` conventions).
    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    /// At most this many keys are returned (0: no limit); `more` says whether some were left out.
    public var limit: Int64
    /// Read at this revision (0 or negative: the current one).
    public var revision: Int64
    public var sortOrder: SortOrder
    public var sortTarget: SortTarget
    /// Accepted for compatibility; a single-member store is always linearizable.
    public var serializable: Bool
    /// Return keys and metadata without values.
    public var keysOnly: Bool
    /// Return only `count`.
    public var countOnly: Bool
    /// Filters applied after the read (0: no filter).
    public var minModRevision: Int64
    public var maxModRevision: Int64
    public var minCreateRevision: Int64
    public var maxCreateRevision: Int64

    public init(key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Int64 = 0,
                sortOrder: SortOrder = .none, sortTarget: SortTarget = .key, serializable: Bool = false,
                keysOnly: Bool = false, countOnly: Bool = false,
                minModRevision: Int64 = 0, maxModRevision: Int64 = 0,
                minCreateRevision: Int64 = 0, maxCreateRevision: Int64 = 0) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
        self.minCreateRevision = minCreateRevision
        self.maxCreateRevision = maxCreateRevision
    }

    /// A read of `range`.
    public init(_ range: KeyRange, limit: Int64 = 0, revision: Int64 = 0) {
        let (key, end) = range.wire
        self.init(key: key, rangeEnd: end, limit: limit, revision: revision)
    }
}

public struct RangeResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var kvs: [KeyValue]
    /// Whether more keys matched than `limit` let through.
    public var more: Bool
    /// How many keys the range held at the read revision, before `limit` and the revision filters.
    public var count: Int64

    public init(header: ResponseHeader, kvs: [KeyValue], more: Bool, count: Int64) {
        self.header = header
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}
