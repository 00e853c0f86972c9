import Testing
@testable import KVStore
import TestSupport

fileprivate func bruteForceContains(start: [UInt8], end: [UInt8]?, key: [UInt8]) -> Bool {
    guard !key.lexicographicallyPrecedes(start) else { return false }
    guard let end else { return true }
    return key.lexicographicallyPrecedes(end)
}

@Suite struct IntervalIndexTests {
    static let a: [UInt8] = [0x61], b: [UInt8] = [0x62]

    /// (start, end, keys inside, keys outside)
    static let edgeCases: [(start: [UInt8], end: [UInt8]?, inside: [[UInt8]], outside: [[UInt8]])] = [
        (a, a, [], [[], a, a + [0], b]),                                   // [a, a) is empty
        (b, a, [], [a, b, b + [0]]),                                       // end before start is empty
        (a, a + [0], [a], [[], a + [0], a + [0, 0], b]),                   // exactly one key
        (a, nil, [a, a + [0], b, [0xff, 0xff]], [[], [0x60], [0x60, 0xff]]), // from key
        ([], nil, [[], [0], a, [0xff]], []),                               // everything
        ([], [0], [[]], [[0], a]),                                         // only the empty key
        (a, b, [a, a + [0xff, 0xff], a + [0]], [b, b + [0], [0x60, 0xff], []]), // half-open, end excluded
        ([0], [0, 0], [[0]], [[], [0, 0], [1]]),
    ]

    @Test(arguments: edgeCases)
    func edgeCase(start: [UInt8], end: [UInt8]?, inside: [[UInt8]], outside: [[UInt8]]) throws {
        var index = IntervalIndex<String>()
        index.insert(start: start, end: end, value: "x")
        for key in inside { #expect(index.values(containing: key) == ["x"], "key \(key)") }
        for key in outside { #expect(index.values(containing: key).isEmpty, "key \(key)") }
        try index.checkInvariants()
    }

    @Test func keyRangesMapToIntervals() {
        var index = IntervalIndex<Int>()
        index.insert(.single(Self.a), value: 1)
        index.insert(.halfOpen(from: Self.a, to: Self.b), value: 2)
        index.insert(.fromKey(Self.b), value: 3)
        index.insert(KeyRange.prefix(Self.a), value: 4)
        #expect(index.values(containing: Self.a) == [1, 2, 4])
        #expect(index.values(containing: Self.a + [0]) == [2, 4])
        #expect(index.values(containing: Self.b) == [3])
        #expect(index.values(containing: [0x60]).isEmpty)
    }

    @Test func removeLookupAndValueSemantics() throws {
        var index = IntervalIndex<String>()
        #expect(index.isEmpty && index.values(containing: []).isEmpty)
        let first = index.insert(start: Self.a, end: nil, value: "first")
        let second = index.insert(start: Self.a, end: nil, value: "second")
        #expect(first != second && index.count == 2 && index[second] == "second")
        let copy = index
        let removed = index.remove(first)
        let removedAgain = index.remove(first)
        #expect(removed == "first" && removedAgain == nil && index[first] == nil)
        #expect(index.values(containing: Self.b) == ["second"])
        #expect(copy.values(containing: Self.b) == ["first", "second"], "the copy is unaffected")
        index.remove(second)
        #expect(index.isEmpty && index.values(containing: Self.a).isEmpty)
        let third = index.insert(start: [], end: nil, value: "third")
        #expect(third.rawValue == 2, "ids are never reused")
        try index.checkInvariants()
        try copy.checkInvariants()
    }

    @Test func randomizedAgainstBruteForce() throws {
        let seed: UInt64 = 0x1A7E_57AB
        var rng = SeededGenerator(seed: seed)
        func randomKey() -> [UInt8] {
            (0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt8.random(in: 0...2, using: &rng) }
        }
        var index = IntervalIndex<Int>()
        var live: [(id: IntervalID, start: [UInt8], end: [UInt8]?, value: Int)] = []
        var nextValue = 0
        for step in 0..<8000 {
            let action = Int.random(in: 0..<10, using: &rng)
            if action < 4 || live.isEmpty {
                let start = randomKey()
                let end: [UInt8]?
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: end = nil
                case 1: end = start                   // empty interval
                case 2: end = start + [0]             // a single key
                default: end = randomKey()            // often before start, i.e. empty
                }
                let id = index.insert(start: start, end: end, value: nextValue)
                live.append((id, start, end, nextValue))
                nextValue += 1
            } else if action < 6 {
                let victim = live.remove(at: Int.random(in: 0..<live.count, using: &rng))
                let removed = index.remove(victim.id)
                #expect(removed == victim.value, "seed \(seed) step \(step)")
            } else {
                let key = randomKey()
                let got = index.values(containing: key).sorted()
                let want = live.filter { bruteForceContains(start: $0.start, end: $0.end, key: key) }.map(\.value).sorted()
                #expect(got == want, "seed \(seed) step \(step) key \(key)")
            }
            #expect(index.count == live.count, "seed \(seed) step \(step)")
            if step % 101 == 0 { try index.checkInvariants() }
        }
        try index.checkInvariants()
        // Every key of length ≤ 3 over the alphabet, against the final population.
        var keys: [[UInt8]] = [[]]
        for length in 1...3 {
            keys += keys.filter { $0.count == length - 1 }.flatMap { prefix in (0...2).map { prefix + [UInt8($0)] } }
        }
        for key in keys {
            let got = index.values(containing: key).sorted()
            let want = live.filter { bruteForceContains(start: $0.start, end: $0.end, key: key) }.map(\.value).sorted()
            #expect(got == want, "seed \(seed) final key \(key)")
        }
    }

    /// Many disjoint watchers: a query finds exactly the one around the key, and nothing between them.
    @Test func manyDisjointWatchers() throws {
        var index = IntervalIndex<Int>()
        for value in 0..<20_000 {
            let start: [UInt8] = [UInt8(value >> 8), UInt8(value & 0xff)]
            index.insert(start: start, end: start + [0xff], value: value)
        }
        try index.checkInvariants()
        #expect(index.values(containing: [0x12, 0x34, 0x00]) == [0x1234])
        #expect(index.values(containing: [0x12, 0x34, 0xff]).isEmpty)
    }
}
