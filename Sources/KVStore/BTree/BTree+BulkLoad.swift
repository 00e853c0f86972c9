extension BTree {
    /// Builds a tree from elements already in strictly ascending key order, bottom-up: nodes are
    /// filled to capacity (the last node of each level shares with its neighbour so it keeps the
    /// minimum), so loading n sorted elements costs O(n) and leaves no half-empty nodes.
    /// - Precondition: `keys` ascending without duplicates, `keys.count == values.count`.
    init(sortedKeys keys: [Key], values: [Value], nodeCapacity: Int = 64) {
        precondition(keys.count == values.count)
        var builder = Builder(nodeCapacity: nodeCapacity)
        for i in keys.indices { builder.append(keys[i], values[i]) }
        self = builder.finish()
    }

    /// Builds a tree from elements appended one at a time in strictly ascending key order, as
    /// `init(sortedKeys:values:)` does from arrays: leaves are filled as the elements come, so a caller
    /// streaming them (snapshot restore) needs no arrays of its own and moves each element in once.
    struct Builder {
        let nodeCapacity: Int
        /// The full leaves so far, and the separators between them (one fewer than the leaves, or as
        /// many when the last element appended was a separator).
        private var level: [Node] = []
        private var separatorKeys: [Key] = []
        private var separatorValues: [Value] = []
        /// The leaf being filled; nil when the next element starts a new one.
        private var leaf: Node?
        private(set) var count = 0

        init(nodeCapacity: Int = 64) {
            precondition(nodeCapacity >= 3, "a B-tree node needs room for at least 3 elements")
            self.nodeCapacity = nodeCapacity
        }

        /// Adds an element after every element added so far.
        /// - Precondition: `key` sorts after every key appended before.
        mutating func append(_ key: consuming Key, _ value: consuming Value) {
            count += 1
            guard let leaf else {
                let next = Node(reserving: nodeCapacity + 1, isLeaf: true)
                next.keys.append(key)
                next.values.append(value)
                self.leaf = next
                return
            }
            if leaf.keys.count < nodeCapacity {
                leaf.keys.append(key)
                leaf.values.append(value)
                return
            }
            // The leaf is full: this element separates it from the next one.
            level.append(leaf)
            self.leaf = nil
            separatorKeys.append(key)
            separatorValues.append(value)
        }

        /// The tree of every element appended.
        consuming func finish() -> BTree {
            var tree = BTree(nodeCapacity: nodeCapacity)
            guard count > 0 else { return tree }
            // A separator needs a leaf on its right, even an empty one (evened out below).
            level.append(leaf ?? Node(reserving: nodeCapacity + 1, isLeaf: true))
            tree.replaceRoot(BTree.root(leaves: level, separatorKeys: separatorKeys, separatorValues: separatorValues,
                                        nodeCapacity: nodeCapacity), count: count)
            return tree
        }
    }

    /// The root of a tree whose leaves are `level`, full but maybe the last, with the separators between them.
    private static func root(leaves: [Node], separatorKeys: [Key], separatorValues: [Value], nodeCapacity: Int) -> Node {
        var level = leaves
        var separatorKeys = separatorKeys
        var separatorValues = separatorValues
        let capacity = nodeCapacity
        let minimum = capacity / 2
        if level.count > 1, level[level.count - 1].keys.count < minimum {
            // Even out the last two leaves around their separator.
            let right = level.removeLast()
            let left = level.removeLast()
            var allKeys = left.keys
            var allValues = left.values
            allKeys.append(separatorKeys.removeLast())
            allValues.append(separatorValues.removeLast())
            allKeys += right.keys
            allValues += right.values
            let half = allKeys.count / 2
            let newLeft = Node(reserving: capacity + 1, isLeaf: true)
            newLeft.keys.append(contentsOf: allKeys[..<half])
            newLeft.values.append(contentsOf: allValues[..<half])
            let newRight = Node(reserving: capacity + 1, isLeaf: true)
            newRight.keys.append(contentsOf: allKeys[(half + 1)...])
            newRight.values.append(contentsOf: allValues[(half + 1)...])
            level += [newLeft, newRight]
            separatorKeys.append(allKeys[half])
            separatorValues.append(allValues[half])
        }

        // Internal levels until one node remains.
        while level.count > 1 {
            var parents: [Node] = []
            var upKeys: [Key] = []
            var upValues: [Value] = []
            var c = 0
            while c < level.count {
                let end = min(c + capacity + 1, level.count)
                let node = Node(reserving: capacity + 1, isLeaf: false)
                node.children.append(contentsOf: level[c..<end])
                node.keys.append(contentsOf: separatorKeys[c..<(end - 1)])
                node.values.append(contentsOf: separatorValues[c..<(end - 1)])
                parents.append(node)
                if end < level.count {
                    upKeys.append(separatorKeys[end - 1])
                    upValues.append(separatorValues[end - 1])
                }
                c = end
            }
            if parents.count > 1, parents[parents.count - 1].children.count < minimum + 1 {
                let right = parents.removeLast()
                let left = parents.removeLast()
                let children = left.children + right.children
                var allKeys = left.keys
                var allValues = left.values
                allKeys.append(upKeys.removeLast())
                allValues.append(upValues.removeLast())
                allKeys += right.keys
                allValues += right.values
                let half = children.count / 2          // children in the new left node
                let newLeft = Node(reserving: capacity + 1, isLeaf: false)
                newLeft.children.append(contentsOf: children[..<half])
                newLeft.keys.append(contentsOf: allKeys[..<(half - 1)])
                newLeft.values.append(contentsOf: allValues[..<(half - 1)])
                let newRight = Node(reserving: capacity + 1, isLeaf: false)
                newRight.children.append(contentsOf: children[half...])
                newRight.keys.append(contentsOf: allKeys[half...])
                newRight.values.append(contentsOf: allValues[half...])
                parents += [newLeft, newRight]
                upKeys.append(allKeys[half - 1])
                upValues.append(allValues[half - 1])
            }
            level = parents
            separatorKeys = upKeys
            separatorValues = upValues
        }
        return level[0]
    }
}
