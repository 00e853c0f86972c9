/// Identifies one interval in an `IntervalIndex`; handed out by `insert` and never reused by that index
/// (or by its copies' later inserts, which continue the same sequence independently).
public struct IntervalID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Insertion order: the n-th interval inserted into an index has raw value n - 1.
    public let rawValue: UInt64

    public static func < (lhs: IntervalID, rhs: IntervalID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "interval#\(rawValue)" }
}

/// A set of half-open key intervals `[start, end)`, each carrying a value, answering "which intervals
/// contain this key?" without looking at intervals that cannot: the range-watcher lookup of the watch hub.
///
/// Keys and bounds are byte strings compared lexicographically (a proper prefix sorts first, so `[]` is the
/// smallest key). An `end` of `nil` means unbounded: the interval holds every key `>= start`. An interval
/// whose `end` is at or before its `start` (such as `[a, a)`) is stored and counted but contains no key.
///
/// Implementation: a treap (a binary search tree on `(start, id)` kept balanced in expectation by
/// pseudo-random heap priorities) in which every node also records which interval in its subtree reaches
/// furthest right. A stabbing query skips every subtree whose furthest end is not past the key and every
/// right subtree whose starts are all past the key. Unbounded intervals live in a second treap of their
/// own, where the matches for a key are simply those starting at or before it. Nodes live in arrays
/// addressed by index, so the whole index is a value: copies are independent and share storage until one
/// is modified.
///
/// The tree itself is not generic (values sit in a side table indexed by tree slot), so its code runs at
/// full speed whether or not the compiler specializes it for `Value`.
///
/// Priorities derive deterministically from interval ids, so the tree shape, and therefore performance,
/// is reproducible from the sequence of operations.
public struct IntervalIndex<Value: Sendable>: Sendable {
    /// A violated structural invariant, reported by `checkInvariants()`.
    struct InvariantViolation: Error, CustomStringConvertible {
        let description: String
    }

    /// Where an interval lives: which tree, and its slot there.
    private struct Location: Sendable {
        var unbounded: Bool
        var slot: Int
    }

    /// Intervals with an end. Their subtrees' furthest ends let queries skip what cannot match.
    private var bounded = IntervalTree()
    /// Intervals without an end, kept apart: those containing a key are exactly those starting at or
    /// before it, a prefix of this tree's order, found in O(log U + matches). Mixed into `bounded` they
    /// would defeat its pruning for every ancestor.
    private var unbounded = IntervalTree()
    /// The value of the interval in each slot of `bounded`/`unbounded`; `nil` for free slots.
    private var boundedValues: [Value?] = []
    private var unboundedValues: [Value?] = []
    private var slotOfID: [IntervalID: Location] = [:]
    private var nextID: UInt64 = 0

    /// An empty index.
    public init() {}

    /// The number of intervals stored, empty ones included.
    ///
    /// - Complexity: O(1).
    public var count: Int { slotOfID.count }

    /// Whether no interval is stored.
    ///
    /// - Complexity: O(1).
    public var isEmpty: Bool { slotOfID.isEmpty }

    /// The value stored with `id`, or `nil` if there is no such interval (it was never inserted or has been
    /// removed).
    ///
    /// - Complexity: O(1) expected.
    public subscript(id: IntervalID) -> Value? {
        slotOfID[id].flatMap { $0.unbounded ? unboundedValues[$0.slot] : boundedValues[$0.slot] }
    }

    /// Stores the interval `[start, end)` (`end == nil`: unbounded) with `value`.
    ///
    /// - Returns: a fresh id for removing or looking up the interval.
    /// - Complexity: O(log W) expected for W stored intervals (amortized, as storage may grow); each step
    ///   compares keys, in O(length of the shorter key).
    @discardableResult
    public mutating func insert(start: [UInt8], end: [UInt8]?, value: Value) -> IntervalID {
        let id = IntervalID(rawValue: nextID)
        nextID &+= 1
        if end == nil {
            let slot = unbounded.insert(start: start, end: nil, id: id)
            Self.store(value, at: slot, in: &unboundedValues)
            slotOfID[id] = Location(unbounded: true, slot: slot)
        } else {
            let slot = bounded.insert(start: start, end: end, id: id)
            Self.store(value, at: slot, in: &boundedValues)
            slotOfID[id] = Location(unbounded: false, slot: slot)
        }
        return id
    }

    /// Stores the keys of `range` with `value`: a single key `k` as `[k, k + "\0")`, which holds exactly `k`;
    /// a half-open range as is; a from-key range as unbounded.
    ///
    /// - Complexity: as `insert(start:end:value:)`.
    @discardableResult
    public mutating func insert(_ range: KeyRange, value: Value) -> IntervalID {
        switch range {
        case .single(let key): insert(start: key, end: key + [0], value: value)
        case .halfOpen(let from, let to): insert(start: from, end: to, value: value)
        case .fromKey(let from): insert(start: from, end: nil, value: value)
        }
    }

    /// Removes the interval `id`.
    ///
    /// - Returns: its value, or `nil` (and nothing changes) if there is no such interval.
    /// - Complexity: O(log W) expected.
    @discardableResult
    public mutating func remove(_ id: IntervalID) -> Value? {
        guard let location = slotOfID.removeValue(forKey: id) else { return nil }
        let value: Value?
        if location.unbounded {
            unbounded.remove(slot: location.slot)
            value = unboundedValues[location.slot]
            unboundedValues[location.slot] = nil
        } else {
            bounded.remove(slot: location.slot)
            value = boundedValues[location.slot]
            boundedValues[location.slot] = nil
        }
        if slotOfID.isEmpty {
            // Release the storage rather than keep free slots as many as the peak.
            self = IntervalIndex(continuingFrom: nextID)
        }
        return value
    }

    /// Calls `body` with the value of every interval that contains `key` (`start <= key < end`), each once:
    /// first the bounded intervals, then the unbounded ones, each group in ascending order of `(start, id)`.
    ///
    /// - Complexity: for U unbounded intervals, O(log U + their matches) expected. For W bounded intervals,
    ///   O(log W) expected when none matches; with m matches it visits the matches, the search path for
    ///   `key`, and otherwise only ancestors of matches and their children: O(m + log W) when the matches
    ///   cluster (as nested prefix watchers do), at worst O((m + 1) · log W) expected when they are scattered
    ///   through the tree. It never looks at a subtree that holds no match, so it never scans all watchers.
    ///   Each visit costs one or two key comparisons.
    public func forEachContaining(key: [UInt8], _ body: (Value) throws -> Void) rethrows {
        try key.withUnsafeBytes { try forEachContaining(key: $0, body) }
    }

    /// As `forEachContaining(key:_:)`, for a key in borrowed memory (no array needed on the write path).
    func forEachContaining(key: UnsafeRawBufferPointer, _ body: (Value) throws -> Void) rethrows {
        try bounded.forEachContaining(key: key) { slot in try body(boundedValues[slot]!) }
        try unbounded.forEachContaining(key: key) { slot in try body(unboundedValues[slot]!) }
    }

    /// The values of every interval containing `key`, in the order `forEachContaining(key:_:)` gives.
    ///
    /// - Complexity: as `forEachContaining(key:_:)`.
    public func values(containing key: [UInt8]) -> [Value] {
        var result: [Value] = []
        forEachContaining(key: key) { result.append($0) }
        return result
    }

    /// Checks the search-tree order, the heap order of priorities, every subtree's furthest-end record and
    /// that the id and value tables match the tree exactly.
    ///
    /// - Complexity: O(W).
    func checkInvariants() throws(InvariantViolation) {
        let unboundedCount = slotOfID.values.lazy.filter(\.unbounded).count
        if let problem = bounded.invariantViolation(expectedCount: slotOfID.count - unboundedCount) {
            throw InvariantViolation(description: "bounded: \(problem)")
        }
        if let problem = unbounded.invariantViolation(expectedCount: unboundedCount) {
            throw InvariantViolation(description: "unbounded: \(problem)")
        }
        for (id, location) in slotOfID {
            let tree = location.unbounded ? unbounded : bounded
            let values = location.unbounded ? unboundedValues : boundedValues
            guard tree.id(atSlot: location.slot) == id, values[location.slot] != nil,
                  tree.isUnbounded(atSlot: location.slot) == location.unbounded
            else {
                throw InvariantViolation(description: "\(id) maps to a slot holding another interval")
            }
        }
        let occupied = boundedValues.lazy.filter { $0 != nil }.count + unboundedValues.lazy.filter { $0 != nil }.count
        guard occupied == slotOfID.count else {
            throw InvariantViolation(description: "\(occupied) values for \(slotOfID.count) intervals")
        }
    }

    /// An empty index whose next id is `nextID`, so ids stay unique after the storage is released.
    private init(continuingFrom nextID: UInt64) {
        self.nextID = nextID
    }

    private static func store(_ value: Value, at slot: Int, in values: inout [Value?]) {
        if slot == values.count {
            values.append(value)
        } else {
            values[slot] = value
        }
    }
}

/// The tree behind `IntervalIndex`: a treap of intervals in one array, addressed by slot. Not generic.
private struct IntervalTree: Sendable {
    private struct Node: Sendable {
        var start: [UInt8]
        var end: [UInt8]?
        var id: IntervalID
        var priority: UInt64
        var left = IntervalTree.none
        var right = IntervalTree.none
        /// The greatest end in this subtree (`nil`, unbounded, counting as greatest), kept inline so a query
        /// decides whether to enter the subtree without touching another node.
        var maxEnd: [UInt8]?
    }

    private static var none: Int { -1 }

    private var nodes: [Node] = []
    private var freeNodes: [Int] = []
    private var root = IntervalTree.none

    /// Links a new node in and returns its slot (a reused free slot, or `nodes.count` before the call).
    mutating func insert(start: [UInt8], end: [UInt8]?, id: IntervalID) -> Int {
        let node = Node(start: start, end: end, id: id, priority: Self.priority(of: id), maxEnd: end)
        let index: Int
        if let reused = freeNodes.popLast() {
            index = reused
            nodes[index] = node
        } else {
            index = nodes.count
            nodes.append(node)
        }
        root = insert(index, into: root)
        return index
    }

    /// Unlinks the node in `slot` and frees the slot.
    mutating func remove(slot index: Int) {
        root = remove(index, from: root)
        nodes[index].start = []
        nodes[index].end = nil
        nodes[index].maxEnd = nil
        nodes[index].left = Self.none
        nodes[index].right = Self.none
        freeNodes.append(index)
    }

    func id(atSlot slot: Int) -> IntervalID { nodes[slot].id }

    func isUnbounded(atSlot slot: Int) -> Bool { nodes[slot].end == nil }

    func forEachContaining(key: UnsafeRawBufferPointer, _ body: (Int) throws -> Void) rethrows {
        try visit(root, key: key, body)
    }

    /// A description of the first broken invariant, or `nil` if the tree is sound and holds
    /// `expectedCount` nodes.
    func invariantViolation(expectedCount: Int) -> String? {
        var seen = 0
        var previous: Int? = nil
        var stack: [Int] = []
        var current = root
        // In-order walk: keys must strictly increase.
        while current != Self.none || !stack.isEmpty {
            while current != Self.none {
                stack.append(current)
                current = nodes[current].left
            }
            let index = stack.removeLast()
            if let previous, !keyPrecedes(previous, index) { return "\(nodes[index].id) is out of order" }
            previous = index
            seen += 1
            current = nodes[index].right
        }
        guard seen == expectedCount else { return "tree holds \(seen) nodes, expected \(expectedCount)" }
        guard seen + freeNodes.count == nodes.count else {
            return "\(seen) linked and \(freeNodes.count) free nodes in \(nodes.count) slots"
        }
        return subtreeViolation(root)
    }

    // MARK: - Tree mechanics

    /// A SplitMix64 finalizer of the id: well-mixed, deterministic priorities.
    private static func priority(of id: IntervalID) -> UInt64 {
        var z = id.rawValue &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Tree order: by start, then by id.
    private func keyPrecedes(_ a: Int, _ b: Int) -> Bool {
        let order = Self.compare(nodes[a].start, nodes[b].start)
        return order != 0 ? order < 0 : nodes[a].id < nodes[b].id
    }

    /// Lexicographic three-way comparison of byte strings: negative, zero or positive as `a` sorts before,
    /// equal to or after `b` (a proper prefix sorts first).
    @inline(__always)
    private static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let shared = min(x.count, y.count)
                var index = 0
                while index < shared {
                    let p = x[index], q = y[index]
                    if p != q { return p < q ? -1 : 1 }
                    index &+= 1
                }
                return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
            }
        }
    }

    /// Whether `a` sorts strictly before `b`.
    @inline(__always)
    private static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool { compare(a, b) < 0 }

    /// Whether the borrowed key `a` sorts strictly before `b`.
    @inline(__always)
    private static func precedes(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { KeyBytes.compare(a, $0) < 0 }
    }

    /// The later of two ends (an unbounded end beats any bound).
    private static func later(_ a: [UInt8]?, _ b: [UInt8]?) -> [UInt8]? {
        guard let a, let b else { return nil }
        return Self.precedes(a, b) ? b : a
    }

    /// Recomputes `maxEnd` of `index` from its own end and its children's.
    private mutating func refresh(_ index: Int) {
        var furthest = nodes[index].end
        let left = nodes[index].left, right = nodes[index].right
        if left != Self.none { furthest = Self.later(furthest, nodes[left].maxEnd) }
        if right != Self.none { furthest = Self.later(furthest, nodes[right].maxEnd) }
        nodes[index].maxEnd = furthest
    }

    private mutating func rotateRight(_ index: Int) -> Int {
        let pivot = nodes[index].left
        nodes[index].left = nodes[pivot].right
        nodes[pivot].right = index
        refresh(index)
        refresh(pivot)
        return pivot
    }

    private mutating func rotateLeft(_ index: Int) -> Int {
        let pivot = nodes[index].right
        nodes[index].right = nodes[pivot].left
        nodes[pivot].left = index
        refresh(index)
        refresh(pivot)
        return pivot
    }

    /// Inserts node `index` into the subtree rooted at `subtree`; returns the subtree's new root.
    private mutating func insert(_ index: Int, into subtree: Int) -> Int {
        guard subtree != Self.none else { return index }
        if keyPrecedes(index, subtree) {
            let child = insert(index, into: nodes[subtree].left)
            nodes[subtree].left = child
            if nodes[child].priority > nodes[subtree].priority { return rotateRight(subtree) }
        } else {
            let child = insert(index, into: nodes[subtree].right)
            nodes[subtree].right = child
            if nodes[child].priority > nodes[subtree].priority { return rotateLeft(subtree) }
        }
        refresh(subtree)
        return subtree
    }

    /// Unlinks node `index` from the subtree rooted at `subtree`; returns the subtree's new root.
    private mutating func remove(_ index: Int, from subtree: Int) -> Int {
        precondition(subtree != Self.none, "IntervalIndex: node missing from the tree")
        if subtree == index {
            return merge(nodes[index].left, nodes[index].right)
        }
        if keyPrecedes(index, subtree) {
            nodes[subtree].left = remove(index, from: nodes[subtree].left)
        } else {
            nodes[subtree].right = remove(index, from: nodes[subtree].right)
        }
        refresh(subtree)
        return subtree
    }

    /// Joins two subtrees, every key of `low` preceding every key of `high`; returns the new root.
    private mutating func merge(_ low: Int, _ high: Int) -> Int {
        if low == Self.none { return high }
        if high == Self.none { return low }
        if nodes[low].priority > nodes[high].priority {
            nodes[low].right = merge(nodes[low].right, high)
            refresh(low)
            return low
        } else {
            nodes[high].left = merge(low, nodes[high].left)
            refresh(high)
            return high
        }
    }

    private func visit(_ subtree: Int, key: UnsafeRawBufferPointer, _ body: (Int) throws -> Void) rethrows {
        var index = subtree
        while index != Self.none {
            // Nothing below reaches past `key`: no interval here contains it.
            if let furthest = nodes[index].maxEnd, !Self.precedes(key, furthest) {
                return
            }
            try visit(nodes[index].left, key: key, body)
            // This start and every start to the right are past `key`.
            if Self.precedes(key, nodes[index].start) { return }
            if let end = nodes[index].end {
                if Self.precedes(key, end) { try body(index) }
            } else {
                try body(index)
            }
            index = nodes[index].right
        }
    }

    private func subtreeViolation(_ index: Int) -> String? {
        guard index != Self.none else { return nil }
        var furthest = nodes[index].end
        for child in [nodes[index].left, nodes[index].right] where child != Self.none {
            guard nodes[child].priority <= nodes[index].priority else {
                return "\(nodes[child].id) outranks its parent \(nodes[index].id)"
            }
            if let problem = subtreeViolation(child) { return problem }
            furthest = Self.later(furthest, nodes[child].maxEnd)
        }
        guard furthest == nodes[index].maxEnd else {
            return "furthest end of \(nodes[index].id)'s subtree is stale"
        }
        return nil
    }
}
