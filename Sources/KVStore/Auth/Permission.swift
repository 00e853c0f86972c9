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

    /// Whether the union of `permissions` covers every key of `[key, rangeEnd)` (see `PermissionSet`).
    static func union(_ permissions: [Permission], covers key: [UInt8], rangeEnd: [UInt8]) -> Bool {
        PermissionSet(permissions).covers(key: key, rangeEnd: rangeEnd)
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
