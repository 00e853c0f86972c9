/// What a role may do on a key range (etcd's `authpb.Permission`).
public struct Permission: Hashable, Sendable {
    public enum Kind: Int, Hashable, Sendable { case read = 0, write = 1, readwrite = 2 }

    public var kind: Kind
    /// The first key, and the end by etcd's convention: empty for one key, `"\0"` for every key from
    /// `key` on (see `KeyRange`).
    public var key: [UInt8]
    public var rangeEnd: [UInt8]

    public init(kind: Kind, key: [UInt8], rangeEnd: [UInt8] = []) {
        self.kind = kind
        self.key = key
        self.rangeEnd = rangeEnd
    }

    var allowsRead: Bool { kind != .write }
    var allowsWrite: Bool { kind != .read }

    /// Whether the union of `permissions` covers every key of `[key, rangeEnd)` (etcd's convention:
    /// an empty end is the one key, `"\0"` every key from `key` on). An empty key, or an end not after
    /// the key, is never covered (etcd refuses such ranges for non-root users).
    static func union(_ permissions: [Permission], covers key: [UInt8], rangeEnd: [UInt8]) -> Bool {
        guard let wanted = Interval(key: key, rangeEnd: rangeEnd) else { return false }
        let granted = permissions.compactMap { Interval(key: $0.key, rangeEnd: $0.rangeEnd) }
            .sorted { $0.start.lexicographicallyPrecedes($1.start) }
        // Sweep the granted intervals in start order, extending the covered prefix of `wanted`.
        var reached = wanted.start
        for interval in granted {
            if reached.lexicographicallyPrecedes(interval.start) { return false }
            guard let end = interval.end else { return true }
            if reached.lexicographicallyPrecedes(end) { reached = end }
            if let wantedEnd = wanted.end, !reached.lexicographicallyPrecedes(wantedEnd) { return true }
        }
        return false
    }

    /// `[start, end)` over byte strings; a nil end is unbounded.
    struct Interval {
        let start: [UInt8]
        let end: [UInt8]?

        init?(key: [UInt8], rangeEnd: [UInt8]) {
            guard !key.isEmpty else { return nil }
            start = key
            if rangeEnd.isEmpty {
                end = key + [0]
            } else if rangeEnd == [0] {
                end = nil
            } else {
                guard key.lexicographicallyPrecedes(rangeEnd) else { return nil }
                end = rangeEnd
            }
        }
    }
}
