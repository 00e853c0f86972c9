/// One node of a `BTree`. Leaves have no children; an internal node with `n` elements has `n + 1`.
///
/// Nodes are shared between tree copies and are only ever mutated when uniquely referenced (the tree
/// checks with `isKnownUniquelyReferenced` and copies otherwise), so a node reachable from two trees is
/// immutable — which is what makes a copied tree a consistent, thread-safe read view.
final class BTreeNode<Key, Value> {
    var keys: [Key]
    var values: [Value]
    var children: [BTreeNode]

    init(keys: [Key] = [], values: [Value] = [], children: [BTreeNode] = []) {
        self.keys = keys
        self.values = values
        self.children = children
    }

    /// An empty node whose arrays hold `capacity` elements (one more than the tree's node capacity, for
    /// the moment before a split) without ever reallocating: growth by doubling would leave most
    /// nodes with twice the memory they need.
    init(reserving capacity: Int, isLeaf: Bool) {
        keys = []
        values = []
        children = []
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        if !isLeaf { children.reserveCapacity(capacity + 1) }
    }

    @inline(__always) var isLeaf: Bool { children.isEmpty }
    @inline(__always) var elementCount: Int { keys.count }

    /// A shallow copy: the elements are copied, the children shared.
    func copy(reserving capacity: Int) -> BTreeNode {
        let node = BTreeNode(reserving: capacity, isLeaf: isLeaf)
        node.keys.append(contentsOf: keys)
        node.values.append(contentsOf: values)
        node.children.append(contentsOf: children)
        return node
    }

    /// The first index whose key is not below the probe's target (`elementCount` when all are),
    /// and whether the key there equals it. `compare(key)` returns the sign of `key - target`.
    @inline(__always)
    func search(_ compare: (Key) -> Int) -> (index: Int, found: Bool) {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low &+ high) >> 1
            let c = compare(keys[mid])
            if c < 0 {
                low = mid &+ 1
            } else if c > 0 {
                high = mid
            } else {
                return (mid, true)
            }
        }
        return (low, false)
    }
}
