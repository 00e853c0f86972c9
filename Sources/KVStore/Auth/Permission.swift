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

    /// Whether this permission covers every key of `[key, rangeEnd)` (etcd's convention).
    func covers(key requested: [UInt8], rangeEnd requestedEnd: [UInt8]) -> Bool {
        let mine = KeyRange(key: key, rangeEnd: rangeEnd)
        switch KeyRange(key: requested, rangeEnd: requestedEnd) {
        case .single(let k):
            return mine.contains(k)
        case .fromKey(let from):
            guard case .fromKey(let start) = mine else { return false }
            return !from.lexicographicallyPrecedes(start)
        case .halfOpen(let from, let to):
            switch mine {
            case .single(let k): return from == k && to == k + [0]
            case .fromKey(let start): return !from.lexicographicallyPrecedes(start)
            case .halfOpen(let start, let end):
                return !from.lexicographicallyPrecedes(start) && !end.lexicographicallyPrecedes(to)
            }
        }
    }
}
