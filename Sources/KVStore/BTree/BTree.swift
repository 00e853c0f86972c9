/// An ordered map from `Key` to `Value`: a B-tree with copy-on-write nodes.
///
/// Copying a tree is O(1) and a mutation copies only the nodes on its path that are shared, so a copy
/// taken under a lock is a consistent snapshot that can be read on another thread while the original
/// keeps changing.
///
/// Lookups take a *probe*: a closure returning the sign of `key - target` (negative when the key sorts
/// before the target). This lets a caller search by a representation other than `Key` itself (the
/// store searches by raw key bytes) without building a `Key`. The probes given to one tree must agree
/// with the order of its keys.
///
/// - Complexity: lookups, insertions and removals are O(log n); a mutation after a copy additionally
///   copies O(log n) nodes of `nodeCapacity` elements.
struct BTree<Key, Value> {
    typealias Node = BTreeNode<Key, Value>

    private(set) var root: Node
    /// Elements per node at most; non-root nodes keep at least `nodeCapacity / 2`.
    let nodeCapacity: Int
    private(set) var count: Int = 0

    init(nodeCapacity: Int = 64) {
        precondition(nodeCapacity >= 3, "a B-tree node needs room for at least 3 elements")
        self.nodeCapacity = nodeCapacity
        root = Node(reserving: nodeCapacity + 1, isLeaf: true)
    }

    var isEmpty: Bool { count == 0 }
    var minimumElements: Int { nodeCapacity / 2 }

    // MARK: Lookup

    /// The element whose key matches the probe exactly.
    func find(_ compare: (Key) -> Int) -> (key: Key, value: Value)? {
        var node = root
        while true {
            let (i, found) = node.search(compare)
            if found { return (node.keys[i], node.values[i]) }
            if node.isLeaf { return nil }
            node = node.children[i]
        }
    }

    /// The first element in key order.
    var first: (key: Key, value: Value)? {
        guard count > 0 else { return nil }
        var node = root
        while !node.isLeaf { node = node.children[0] }
        return (node.keys[0], node.values[0])
    }

    /// The last element in key order.
    var last: (key: Key, value: Value)? {
        guard count > 0 else { return nil }
        var node = root
        while !node.isLeaf { node = node.children[node.children.count - 1] }
        return (node.keys[node.keys.count - 1], node.values[node.values.count - 1])
    }

    /// Visits elements in ascending key order, starting at the first key not below the probe's target
    /// (or at the very first element when `lowerBound` is nil), until `body` returns false.
    /// - Returns: false when `body` stopped the walk.
    @discardableResult
    func forEach(from lowerBound: ((Key) -> Int)?, _ body: (Key, Value) -> Bool) -> Bool {
        Self.visit(root, lowerBound, nil, body)
    }

    /// `forEach`, also calling `ahead` with the address of the key `lookahead` places ahead in the same
    /// leaf before each element of a leaf is visited: a caller whose keys point elsewhere can prefetch
    /// what they point to, so walking a large tree does not wait on a cache miss per element.
    @discardableResult
    func forEach(from lowerBound: ((Key) -> Int)?, ahead: (UnsafePointer<Key>) -> Void,
                 _ body: (Key, Value) -> Bool) -> Bool {
        withoutActuallyEscaping(ahead) { Self.visit(root, lowerBound, $0, body) }
    }

    /// How far ahead `forEach(from:ahead:_:)` looks, in elements.
    static var lookahead: Int { 6 }

    private static func visit(_ node: Node, _ lowerBound: ((Key) -> Int)?, _ ahead: ((UnsafePointer<Key>) -> Void)?,
                              _ body: (Key, Value) -> Bool) -> Bool {
        var start = 0
        if let lowerBound {
            let (i, found) = node.search(lowerBound)
            start = i
            if found {
                // Everything in children[i] sorts below the bound; begin at the element itself.
                if !body(node.keys[i], node.values[i]) { return false }
                if !node.isLeaf, !visit(node.children[i + 1], nil, ahead, body) { return false }
                start = i + 1
                return visitFrom(node, start, ahead, body)
            }
            if !node.isLeaf, !visit(node.children[i], lowerBound, ahead, body) { return false }
            return visitFrom(node, start, ahead, body)
        }
        if !node.isLeaf, !visit(node.children[0], nil, ahead, body) { return false }
        return visitFrom(node, 0, ahead, body)
    }

    /// Visits element `start` and everything after it in `node` (the child left of `start` is done).
    private static func visitFrom(_ node: Node, _ start: Int, _ ahead: ((UnsafePointer<Key>) -> Void)?,
                                  _ body: (Key, Value) -> Bool) -> Bool {
        var i = start
        let n = node.keys.count
        if node.isLeaf {
            if let ahead {
                let distance = lookahead
                node.keys.withUnsafeBufferPointer { keys in
                    for j in i..<min(n, i + distance) { ahead(keys.baseAddress! + j) }
                }
                while i < n {
                    if i + distance < n { node.keys.withUnsafeBufferPointer { ahead($0.baseAddress! + i + distance) } }
                    if !body(node.keys[i], node.values[i]) { return false }
                    i += 1
                }
                return true
            }
            while i < n {
                if !body(node.keys[i], node.values[i]) { return false }
                i += 1
            }
            return true
        }
        while i < n {
            if !body(node.keys[i], node.values[i]) { return false }
            if !visit(node.children[i + 1], nil, ahead, body) { return false }
            i += 1
        }
        return true
    }

    /// Like `forEach(from:_:)`, but hands over *runs*: `body(node, range)` gets consecutive elements of
    /// one node (a leaf's whole remainder at once; an internal node's elements one at a time), in
    /// ascending key order, until it returns false. A caller can then look ahead within a run.
    /// - Returns: false when `body` stopped the walk.
    @discardableResult
    func forEachRun(from lowerBound: ((Key) -> Int)?, _ body: (Node, Range<Int>) -> Bool) -> Bool {
        Self.visitRuns(root, lowerBound, body)
    }

    private static func visitRuns(_ node: Node, _ lowerBound: ((Key) -> Int)?, _ body: (Node, Range<Int>) -> Bool) -> Bool {
        var start = 0
        if let lowerBound {
            let (i, found) = node.search(lowerBound)
            start = i
            if found {
                if node.isLeaf { return start < node.keys.count ? body(node, start..<node.keys.count) : true }
                if !body(node, i..<(i + 1)) { return false }
                if !visitRuns(node.children[i + 1], nil, body) { return false }
                return visitRunsFrom(node, i + 1, body)
            }
            if !node.isLeaf, !visitRuns(node.children[i], lowerBound, body) { return false }
            return visitRunsFrom(node, start, body)
        }
        if !node.isLeaf, !visitRuns(node.children[0], nil, body) { return false }
        return visitRunsFrom(node, 0, body)
    }

    private static func visitRunsFrom(_ node: Node, _ start: Int, _ body: (Node, Range<Int>) -> Bool) -> Bool {
        let n = node.keys.count
        if node.isLeaf { return start < n ? body(node, start..<n) : true }
        var i = start
        while i < n {
            if !body(node, i..<(i + 1)) { return false }
            if !visitRuns(node.children[i + 1], nil, body) { return false }
            i += 1
        }
        return true
    }

    // MARK: Mutation

    /// Finds the element matching the probe and lets `body` change it in place: `body` receives the
    /// current element (nil when absent) and sets it to the new one (nil to remove). The key it sets must
    /// compare equal to the probe's target. Exactly one search is done whatever the outcome.
    ///
    /// When a `placeholder` is given, an existing value is moved out of the tree (the placeholder
    /// standing in for it) while `body` runs, so `body` holds the only reference and can grow it in place
    /// instead of copying it.
    /// - Returns: whatever `body` returns.
    @discardableResult
    mutating func modify<R>(_ compare: (Key) -> Int, placeholder: Value? = nil,
                            _ body: (inout (key: Key, value: Value)?) -> R) -> R {
        if !isKnownUniquelyReferenced(&root) { root = root.copy(reserving: nodeCapacity + 1) }
        var outcome = Outcome.unchanged
        let result = Self.modify(root, compare, placeholder, body, nodeCapacity, &outcome)
        switch outcome {
        case .unchanged:
            break
        case .inserted(let split):
            count += 1
            if let split {
                let newRoot = Node(reserving: nodeCapacity + 1, isLeaf: false)
                newRoot.keys.append(split.key)
                newRoot.values.append(split.value)
                newRoot.children.append(root)
                newRoot.children.append(split.right)
                root = newRoot
            }
        case .removed:
            count -= 1
            if root.keys.isEmpty, !root.isLeaf { root = root.children[0] }
        }
        return result
    }

    /// Inserts `value` for `key`, replacing (key and value of) an equal element.
    /// - Returns: the replaced value, if any.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: Key, _ compare: (Key) -> Int) -> Value? {
        modify(compare) { element in
            let old = element?.value
            element = (key, value)
            return old
        }
    }

    /// Removes the element matching the probe.
    /// - Returns: the removed element, if any.
    @discardableResult
    mutating func remove(_ compare: (Key) -> Int) -> (key: Key, value: Value)? {
        modify(compare) { element in
            let old = element
            element = nil
            return old
        }
    }

    /// Installs a root built elsewhere (bulk loading).
    mutating func replaceRoot(_ node: Node, count: Int) {
        root = node
        self.count = count
    }

    /// Removes every element.
    mutating func removeAll() {
        root = Node(reserving: nodeCapacity + 1, isLeaf: true)
        count = 0
    }

    private struct Split {
        var key: Key
        var value: Value
        var right: Node
    }

    private enum Outcome {
        case unchanged
        /// An element was added; a split of the visited node is passed up to its parent.
        case inserted(Split?)
        case removed
    }

    /// `node` is uniquely referenced by the caller. On return, `.inserted(split)` means the caller must
    /// insert the split's separator to the right of `node`; `.removed` means `node` may have fewer than
    /// the minimum elements and the caller must rebalance it.
    private static func modify<R>(_ node: Node, _ compare: (Key) -> Int, _ placeholder: Value?,
                                  _ body: (inout (key: Key, value: Value)?) -> R,
                                  _ capacity: Int, _ outcome: inout Outcome) -> R {
        let (i, found) = node.search(compare)
        if found {
            var value: Value
            if let placeholder {
                value = placeholder
                swap(&value, &node.values[i])
            } else {
                value = node.values[i]
            }
            var element: (key: Key, value: Value)? = (node.keys[i], consume value)
            let result = body(&element)
            if let element {
                node.keys[i] = element.key
                node.values[i] = element.value
                outcome = .unchanged
            } else {
                removeElement(at: i, of: node, capacity)
                outcome = .removed
            }
            return result
        }
        if node.isLeaf {
            var element: (key: Key, value: Value)? = nil
            let result = body(&element)
            if let element {
                node.keys.insert(element.key, at: i)
                node.values.insert(element.value, at: i)
                outcome = .inserted(node.keys.count > capacity ? split(node, capacity) : nil)
            } else {
                outcome = .unchanged
            }
            return result
        }
        if !isKnownUniquelyReferenced(&node.children[i]) { node.children[i] = node.children[i].copy(reserving: capacity + 1) }
        let child = node.children[i]
        let result = modify(child, compare, placeholder, body, capacity, &outcome)
        switch outcome {
        case .unchanged:
            break
        case .inserted(let childSplit):
            if let childSplit {
                node.keys.insert(childSplit.key, at: i)
                node.values.insert(childSplit.value, at: i)
                node.children.insert(childSplit.right, at: i + 1)
                outcome = .inserted(node.keys.count > capacity ? split(node, capacity) : nil)
            }
        case .removed:
            if child.keys.count < capacity / 2 { rebalance(child: i, of: node, capacity) }
        }
        return result
    }

    /// Moves the upper half of an overfull node into a new right sibling, returning the separator.
    private static func split(_ node: Node, _ capacity: Int) -> Split {
        let mid = node.keys.count / 2
        let right = Node(reserving: capacity + 1, isLeaf: node.isLeaf)
        right.keys.append(contentsOf: node.keys[(mid + 1)...])
        right.values.append(contentsOf: node.values[(mid + 1)...])
        if !node.isLeaf { right.children.append(contentsOf: node.children[(mid + 1)...]) }
        let separator = Split(key: node.keys[mid], value: node.values[mid], right: right)
        node.keys.removeSubrange(mid...)
        node.values.removeSubrange(mid...)
        if !node.isLeaf { node.children.removeSubrange((mid + 1)...) }
        return separator
    }

    /// Removes element `i` of a uniquely referenced node; an internal element is replaced by its
    /// in-order predecessor, taken out of the left subtree (which is then rebalanced if needed).
    private static func removeElement(at i: Int, of node: Node, _ capacity: Int) {
        if node.isLeaf {
            node.keys.remove(at: i)
            node.values.remove(at: i)
            return
        }
        if !isKnownUniquelyReferenced(&node.children[i]) { node.children[i] = node.children[i].copy(reserving: capacity + 1) }
        let (key, value) = removeLast(of: node.children[i], capacity)
        node.keys[i] = key
        node.values[i] = value
        if node.children[i].keys.count < capacity / 2 { rebalance(child: i, of: node, capacity) }
    }

    /// Removes and returns the largest element under a uniquely referenced node, rebalancing on the way.
    private static func removeLast(of node: Node, _ capacity: Int) -> (Key, Value) {
        if node.isLeaf {
            return (node.keys.removeLast(), node.values.removeLast())
        }
        let last = node.children.count - 1
        if !isKnownUniquelyReferenced(&node.children[last]) { node.children[last] = node.children[last].copy(reserving: capacity + 1) }
        let element = removeLast(of: node.children[last], capacity)
        if node.children[last].keys.count < capacity / 2 { rebalance(child: last, of: node, capacity) }
        return element
    }

    /// Restores the minimum size of `node.children[i]` by borrowing from a sibling or merging with one.
    private static func rebalance(child i: Int, of node: Node, _ capacity: Int) {
        let minimum = capacity / 2
        if i > 0, node.children[i - 1].keys.count > minimum {
            // Rotate right: the separator moves down, the left sibling's last element moves up.
            if !isKnownUniquelyReferenced(&node.children[i - 1]) { node.children[i - 1] = node.children[i - 1].copy(reserving: capacity + 1) }
            let left = node.children[i - 1]
            let child = node.children[i]
            child.keys.insert(node.keys[i - 1], at: 0)
            child.values.insert(node.values[i - 1], at: 0)
            node.keys[i - 1] = left.keys.removeLast()
            node.values[i - 1] = left.values.removeLast()
            if !left.isLeaf { child.children.insert(left.children.removeLast(), at: 0) }
        } else if i < node.children.count - 1, node.children[i + 1].keys.count > minimum {
            // Rotate left.
            if !isKnownUniquelyReferenced(&node.children[i + 1]) { node.children[i + 1] = node.children[i + 1].copy(reserving: capacity + 1) }
            let right = node.children[i + 1]
            let child = node.children[i]
            child.keys.append(node.keys[i])
            child.values.append(node.values[i])
            node.keys[i] = right.keys.removeFirst()
            node.values[i] = right.values.removeFirst()
            if !right.isLeaf { child.children.append(right.children.removeFirst()) }
        } else {
            // Merge with a sibling: left + separator + right, into the left one.
            let l = i > 0 ? i - 1 : i
            if !isKnownUniquelyReferenced(&node.children[l]) { node.children[l] = node.children[l].copy(reserving: capacity + 1) }
            let left = node.children[l]
            let right = node.children[l + 1]
            left.keys.append(node.keys.remove(at: l))
            left.values.append(node.values.remove(at: l))
            left.keys.append(contentsOf: right.keys)
            left.values.append(contentsOf: right.values)
            left.children.append(contentsOf: right.children)
            node.children.remove(at: l + 1)
        }
    }
}

extension BTree where Key: Comparable {
    /// The probe for an exact `Comparable` key.
    @inline(__always)
    static func probe(_ target: Key) -> (Key) -> Int {
        { $0 < target ? -1 : ($0 == target ? 0 : 1) }
    }

    func value(forKey key: Key) -> Value? { find(Self.probe(key))?.value }

    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        updateValue(value, forKey: key, Self.probe(key))
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Value? { remove(Self.probe(key))?.value }
}
