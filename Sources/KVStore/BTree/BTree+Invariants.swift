extension BTree {
    /// Every broken structural invariant, described; empty when the tree is sound. Checks that keys are
    /// strictly ascending under `areInIncreasingOrder` (within nodes and across subtrees), node sizes
    /// stay within bounds, all leaves are at one depth, children counts match and `count` is right.
    func invariantViolations(_ areInIncreasingOrder: (Key, Key) -> Bool) -> [String] {
        var problems: [String] = []
        var leafDepth: Int? = nil
        var total = 0
        var previous: Key? = nil

        func walk(_ node: Node, depth: Int, isRoot: Bool) {
            if node.keys.count != node.values.count {
                problems.append("node at depth \(depth) has \(node.keys.count) keys but \(node.values.count) values")
            }
            if node.keys.count > nodeCapacity {
                problems.append("node at depth \(depth) has \(node.keys.count) elements, capacity \(nodeCapacity)")
            }
            if !isRoot, node.keys.count < minimumElements {
                problems.append("node at depth \(depth) has \(node.keys.count) elements, minimum \(minimumElements)")
            }
            if node.isLeaf {
                if let leafDepth, leafDepth != depth { problems.append("leaves at depths \(leafDepth) and \(depth)") }
                leafDepth = leafDepth ?? depth
            } else if node.children.count != node.keys.count + 1 {
                problems.append("internal node at depth \(depth) has \(node.keys.count) keys, \(node.children.count) children")
            }
            for i in 0..<node.keys.count {
                if !node.isLeaf, i < node.children.count { walk(node.children[i], depth: depth + 1, isRoot: false) }
                if let previous, !areInIncreasingOrder(previous, node.keys[i]) {
                    problems.append("keys out of order at depth \(depth), index \(i)")
                }
                previous = node.keys[i]
                total += 1
            }
            if !node.isLeaf, node.children.count == node.keys.count + 1 {
                walk(node.children[node.keys.count], depth: depth + 1, isRoot: false)
            }
        }

        walk(root, depth: 0, isRoot: true)
        if root.keys.isEmpty, !root.isLeaf { problems.append("empty internal root") }
        if total != count { problems.append("count is \(count) but the tree holds \(total)") }
        return problems
    }
}
