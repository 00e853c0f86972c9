/// The keys a request addresses, decoded from etcd's `(key, rangeEnd)` convention:
///
/// | key    | rangeEnd      | meaning                                  |
/// |--------|---------------|------------------------------------------|
/// | k      | empty         | the single key `k`                       |
/// | k      | e (non-empty) | every key in `[k, e)` (empty when e ≤ k) |
/// | k      | `"\0"`        | every key `>= k` ("from key")            |
/// | `"\0"` | `"\0"`        | every key                                |
public enum KeyRange: Hashable, Sendable {
    case single([UInt8])
    case halfOpen(from: [UInt8], to: [UInt8])
    case fromKey([UInt8])

    /// Decodes etcd's wire convention. The key must not be empty (callers check and throw `.emptyKey`).
    public init(key: [UInt8], rangeEnd: [UInt8]) {
        if rangeEnd.isEmpty {
            self = .single(key)
        } else if rangeEnd == [0] {
            self = .fromKey(key)
        } else {
            self = .halfOpen(from: key, to: rangeEnd)
        }
    }

    /// Every key that starts with `prefix` (etcd's `--prefix`). An empty prefix, or one made only of
    /// 0xff bytes, has no finite end and addresses every key from `prefix` on.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        let end = prefixRangeEnd(prefix)
        if prefix.isEmpty { return .fromKey([0]) }
        return KeyRange(key: prefix, rangeEnd: end)
    }

    /// etcd's `GetPrefixRangeEnd`: the smallest key greater than every key starting with `prefix`, or
    /// `"\0"` ("no end") when there is none.
    public static func prefixRangeEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// The `(key, rangeEnd)` pair etcd would send for this range.
    public var wire: (key: [UInt8], rangeEnd: [UInt8]) {
        switch self {
        case .single(let key): (key, [])
        case .halfOpen(let from, let to): (from, to)
        case .fromKey(let key): (key, [0])
        }
    }

    /// Whether `key` lies in the range.
    public func contains(_ key: [UInt8]) -> Bool {
        switch self {
        case .single(let k): return key == k
        case .fromKey(let from): return !key.lexicographicallyPrecedes(from)
        case .halfOpen(let from, let to): return !key.lexicographicallyPrecedes(from) && key.lexicographicallyPrecedes(to)
        }
    }
}

extension KeyRange {
    /// Whether the key in `bytes` lies in the range (no copy of the key).
    func contains(_ bytes: UnsafeRawBufferPointer) -> Bool {
        func compare(_ bound: [UInt8]) -> Int { bound.withUnsafeBytes { KeyBytes.compare(bytes, $0) } }
        switch self {
        case .single(let key): return compare(key) == 0
        case .fromKey(let from): return compare(from) >= 0
        case .halfOpen(let from, let to): return compare(from) >= 0 && compare(to) < 0
        }
    }
}
