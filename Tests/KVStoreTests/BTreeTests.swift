import Testing
@testable import KVStore
import TestSupport

struct BTreeTests {
    /// Checks the tree against a sorted reference array: invariants, count and in-order contents.
    private func expectMatches(_ tree: BTree<Int, Int>, _ reference: [(Int, Int)], seed: UInt64, step: Int) {
        let problems = tree.invariantViolations(<)
        #expect(problems.isEmpty, "seed \(seed) step \(step): \(problems)")
        var contents: [(Int, Int)] = []
        tree.forEach(from: nil) { contents.append(($0, $1)); return true }
        #expect(contents.map(\.0) == reference.map(\.0), "seed \(seed) step \(step): keys differ")
        #expect(contents.map(\.1) == reference.map(\.1), "seed \(seed) step \(step): values differ")
    }

    @Test(arguments: [3, 4, 5, 6, 64])
    func randomOperationsMatchSortedArray(capacity: Int) {
        for seed: UInt64 in 1...6 {
            var rng = SeededGenerator(seed: seed &* 7919 &+ UInt64(capacity))
            var tree = BTree<Int, Int>(nodeCapacity: capacity)
            var reference: [(Int, Int)] = []
            for step in 0..<1500 {
                let key = Int.random(in: 0..<300, using: &rng)
                let index = reference.firstIndex { $0.0 >= key } ?? reference.count
                let present = index < reference.count && reference[index].0 == key
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<6:
                    tree.updateValue(step, forKey: key)
                    if present { reference[index].1 = step } else { reference.insert((key, step), at: index) }
                case 6..<9:
                    let removed = tree.removeValue(forKey: key)
                    #expect(removed == (present ? reference[index].1 : nil), "seed \(seed) step \(step)")
                    if present { reference.remove(at: index) }
                default:
                    #expect(tree.value(forKey: key) == (present ? reference[index].1 : nil), "seed \(seed) step \(step)")
                }
                #expect(tree.count == reference.count, "seed \(seed) step \(step)")
                if step % 50 == 0 || capacity <= 4 { expectMatches(tree, reference, seed: seed, step: step) }
            }
            expectMatches(tree, reference, seed: seed, step: -1)
            // Drain completely so merges down to an empty root are exercised.
            for (key, _) in reference.shuffled(using: &rng) { tree.removeValue(forKey: key) }
            expectMatches(tree, [], seed: seed, step: -2)
        }
    }

    @Test func copiesAreIndependentSnapshots() {
        var rng = SeededGenerator(seed: 42)
        var tree = BTree<Int, Int>(nodeCapacity: 4)
        for k in 0..<200 { tree.updateValue(k, forKey: k) }
        var snapshots: [(BTree<Int, Int>, [Int: Int])] = []
        var reference = Dictionary(uniqueKeysWithValues: (0..<200).map { ($0, $0) })
        for step in 0..<400 {
            if step % 40 == 0 { snapshots.append((tree, reference)) }
            let key = Int.random(in: 0..<250, using: &rng)
            if Bool.random(using: &rng) {
                tree.updateValue(-step, forKey: key)
                reference[key] = -step
            } else {
                tree.removeValue(forKey: key)
                reference[key] = nil
            }
        }
        for (index, (snapshot, expected)) in snapshots.enumerated() {
            #expect(snapshot.invariantViolations(<).isEmpty, "snapshot \(index)")
            var seen: [Int: Int] = [:]
            snapshot.forEach(from: nil) { seen[$0] = $1; return true }
            #expect(seen == expected, "snapshot \(index) changed after later writes")
        }
    }

    @Test func forEachFromLowerBoundAndEarlyStop() {
        var tree = BTree<Int, Int>(nodeCapacity: 3)
        for k in stride(from: 0, to: 100, by: 2) { tree.updateValue(k * 10, forKey: k) }
        let cases: [(bound: Int, limit: Int, expected: [Int])] = [
            (-5, 3, [0, 2, 4]),
            (0, 2, [0, 2]),
            (7, 4, [8, 10, 12, 14]),
            (98, 10, [98]),
            (99, 10, []),
            (51, 1, [52]),
        ]
        for c in cases {
            var keys: [Int] = []
            tree.forEach(from: BTree<Int, Int>.probe(c.bound)) { key, _ in
                keys.append(key)
                return keys.count < c.limit
            }
            #expect(keys == c.expected, "bound \(c.bound)")
        }
        #expect(tree.first?.key == 0)
        #expect(tree.last?.key == 98)
    }

    /// The walk that looks ahead visits exactly what the plain walk does, and shows it only keys that
    /// are still to come: in order, from the bound on, never past where the walk stops.
    @Test(arguments: [3, 4, 7, 64])
    func forEachLookingAheadMatchesForEach(capacity: Int) {
        var rng = SeededGenerator(seed: 0xA4EAD + UInt64(capacity))
        var tree = BTree<Int, Int>(nodeCapacity: capacity)
        for _ in 0..<2000 { let k = Int.random(in: 0..<5000, using: &rng); tree.updateValue(-k, forKey: k) }
        for trial in 0..<60 {
            let bound = Int.random(in: -10..<5010, using: &rng)
            let limit = trial % 3 == 0 ? Int.max : Int.random(in: 1..<300, using: &rng)
            var plain: [Int] = []
            tree.forEach(from: BTree<Int, Int>.probe(bound)) { key, _ in plain.append(key); return plain.count < limit }
            var visited: [Int] = []
            var seenAhead: [Int] = []
            tree.forEach(from: BTree<Int, Int>.probe(bound), ahead: { seenAhead.append($0.pointee) }) { key, value in
                #expect(value == -key)
                visited.append(key)
                return visited.count < limit
            }
            #expect(visited == plain, "capacity \(capacity) bound \(bound)")
            for key in seenAhead {
                #expect(key >= bound, "capacity \(capacity) bound \(bound): looked at \(key)")
            }
            if limit == .max {
                // A full walk looks at every key of every leaf it walks, each once.
                #expect(Set(seenAhead).isSubset(of: Set(plain)), "capacity \(capacity) bound \(bound)")
                #expect(seenAhead.count == Set(seenAhead).count, "capacity \(capacity) bound \(bound)")
            }
        }
    }

    @Test func modifyCanInsertReplaceRemoveOrLeaveAlone() {
        var tree = BTree<Int, String>(nodeCapacity: 4)
        let probe = BTree<Int, String>.probe(5)
        tree.modify(probe) { element in #expect(element == nil); element = (5, "five") }
        tree.modify(probe) { element in #expect(element?.value == "five"); element?.value = "FIVE" }
        #expect(tree.value(forKey: 5) == "FIVE")
        tree.modify(BTree<Int, String>.probe(6)) { element in #expect(element == nil) }
        #expect(tree.count == 1)
        tree.modify(probe) { element in element = nil }
        #expect(tree.isEmpty)
        #expect(tree.invariantViolations(<).isEmpty)
    }
}

struct BTreeBulkLoadTests {
    @Test(arguments: [3, 4, 5, 6, 7, 64])
    func bulkLoadedTreesAreSoundAndMutable(capacity: Int) {
        var rng = SeededGenerator(seed: UInt64(capacity))
        for n in Array(0...40) + [63, 64, 65, 129, 500, 4097] {
            let keys = Array(0..<n).map { $0 * 2 }
            var tree = BTree<Int, Int>(sortedKeys: keys, values: keys.map { -$0 }, nodeCapacity: capacity)
            let problems = tree.invariantViolations(<)
            #expect(problems.isEmpty, "capacity \(capacity) n \(n): \(problems)")
            var seen: [Int] = []
            tree.forEach(from: nil) { k, v in seen.append(k); return v == -k }
            #expect(seen == keys, "capacity \(capacity) n \(n)")
            // Still a normal tree afterwards.
            for _ in 0..<50 {
                let k = Int.random(in: -5...(2 * n + 5), using: &rng)
                if Bool.random(using: &rng) { tree.updateValue(k, forKey: k) } else { tree.removeValue(forKey: k) }
            }
            #expect(tree.invariantViolations(<).isEmpty, "capacity \(capacity) n \(n) after edits")
        }
    }
}
