/// String forms of the request types and of `watch`, so app code can write `RangeRequest(key: "config/")`
/// and `store.watch(prefix: "config/")` instead of spelling keys as `Array("…".utf8)`. Keys and values are
/// the strings' UTF-8 bytes; each initializer builds exactly the request its byte form would.
extension RangeRequest {
    /// One key (`rangeEnd` empty) or `[key, rangeEnd)`.
    public init(key: String, rangeEnd: String = "", limit: Int64 = 0, revision: Int64 = 0) {
        self.init(key: Array(key.utf8), rangeEnd: Array(rangeEnd.utf8), limit: limit, revision: revision)
    }

    /// Every key starting with `prefix` (every key when it is empty).
    public init(prefix: String, limit: Int64 = 0, revision: Int64 = 0) {
        self.init(.prefix(Array(prefix.utf8)), limit: limit, revision: revision)
    }
}

extension PutRequest {
    public init(key: String, value: String, lease: Int64 = 0, prevKV: Bool = false) {
        self.init(key: Array(key.utf8), value: Array(value.utf8), lease: lease, prevKV: prevKV)
    }
}

extension DeleteRangeRequest {
    public init(key: String, rangeEnd: String = "", prevKV: Bool = false) {
        self.init(key: Array(key.utf8), rangeEnd: Array(rangeEnd.utf8), prevKV: prevKV)
    }

    public init(prefix: String, prevKV: Bool = false) {
        self.init(.prefix(Array(prefix.utf8)), prevKV: prevKV)
    }
}

extension Compare {
    /// A compare on one key: `Compare(key: "config/size", result: .equal, target: .modRevision(3))`.
    public init(key: String, result: Result, target: Target) {
        self.init(key: Array(key.utf8), result: result, target: target)
    }
}

extension Compare.Target {
    /// `.value("blue")`: the key's value as a string.
    public static func value(_ text: String) -> Compare.Target { .value(Array(text.utf8)) }
}

extension WatchRequest {
    /// One key, from `startRevision` (0: from the next change).
    public init(key: String, startRevision: Int64 = 0, prevKV: Bool = false) {
        self.init(key: Array(key.utf8), startRevision: startRevision, prevKV: prevKV)
    }

    /// Every key starting with `prefix`.
    public init(prefix: String, startRevision: Int64 = 0, prevKV: Bool = false) {
        self.init(.prefix(Array(prefix.utf8)), startRevision: startRevision, prevKV: prevKV)
    }
}

extension Store {
    /// Watches one key. `onReady` is called (on the writer's thread, briefly) when responses become
    /// ready; take them with `poll()`. See `watch(_:onReady:)`.
    public func watch(key: String, startRevision: Int64 = 0, prevKV: Bool = false,
                      onReady: @escaping @Sendable () -> Void = {}) throws(StoreError) -> Watcher {
        try watch(WatchRequest(key: key, startRevision: startRevision, prevKV: prevKV), onReady: onReady)
    }

    /// Watches every key starting with `prefix`.
    public func watch(prefix: String, startRevision: Int64 = 0, prevKV: Bool = false,
                      onReady: @escaping @Sendable () -> Void = {}) throws(StoreError) -> Watcher {
        try watch(WatchRequest(prefix: prefix, startRevision: startRevision, prevKV: prevKV), onReady: onReady)
    }
}
