extension BTree {
    /// Builds a tree from elements already in strictly ascending key order, bottom-up: nodes are
    /// filled to capacity (the last node of each level shares with its neighbour so it keeps the
    /// minimum), so loading n sorted elements costs O(n) and leaves no half-empty nodes.
    /// - Precondition: `keys` ascending without duplicates, `keys.count == values.count`.
    init(sortedKeys keys: [Key], values: [Value], nodeCapacity: Int = 64) {
        precondition(keys.count == values.count)
        self.init(nodeCapacity: nodeCapacity)
        guard !keys.isEmpty else { return }
        let capacity = nodeCapacity
        let minimum = capacity / 2

        // Leaves and the separators between them.
        var level: [Node] = []
        var separatorKeys: [Key] = []
        var separatorValues: [Value] = []
        var i = 0
        while i < keys.count {
            let end = min(i + capacity, keys.count)
            let leaf = Node(reserving: capacity + 1, isLeaf: true)
            leaf.keys.append(contentsOf: keys[i..<end])
            leaf.values.append(contentsOf: values[i..<end])
            level.append(leaf)
            i = end
            if i < keys.count {
                separatorKeys.append(keys[i])
                separatorValues.append(values[i])
                i += 1
                // A separator needs a leaf on its right, even an empty one (evened out below).
                if i == keys.count { level.append(Node(reserving: capacity + 1, isLeaf: true)) }
            }
        }
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
        replaceRoot(level[0], count: keys.count)
    }
}
