/// A point in the store's history.
///
/// `main` is the store revision: it starts at 1 and every write (a put, a delete that removes at least
/// one key, a transaction that writes) advances it by exactly one. `sub` orders the changes made within
/// one main revision: the writes of a transaction are numbered 0, 1, 2, … in the order they were applied.
public struct Revision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var main: Int64
    public var sub: Int64

    public init(main: Int64, sub: Int64 = 0) {
        self.main = main
        self.sub = sub
    }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        lhs.main != rhs.main ? lhs.main < rhs.main : lhs.sub < rhs.sub
    }

    public var description: String { "\(main)_\(sub)" }
}
