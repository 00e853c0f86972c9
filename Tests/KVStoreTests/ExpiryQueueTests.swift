import Testing
@testable import KVStore
import TestSupport

/// The obviously correct model: entries kept sorted by (deadline, sequence), found by linear search.
fileprivate struct ReferenceQueue {
    var entries: [(id: Int, deadline: UInt64, sequence: Int)] = []
    var sequence = 0

    mutating func update(_ id: Int, _ deadline: UInt64) -> UInt64? {
        let previous = remove(id)
        sequence += 1
        let entry = (id: id, deadline: deadline, sequence: sequence)
        let index = entries.firstIndex { ($0.deadline, $0.sequence) > (deadline, sequence) } ?? entries.count
        entries.insert(entry, at: index)
        return previous
    }

    mutating func remove(_ id: Int) -> UInt64? {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        return entries.remove(at: index).deadline
    }

    mutating func popExpired(now: UInt64, limit: Int) -> [Int] {
        var result: [Int] = []
        while result.count < limit, let first = entries.first, first.deadline <= now {
            result.append(entries.removeFirst().id)
        }
        return result
    }
}

@Suite struct ExpiryQueueTests {
    @Test func basics() throws {
        var queue = ExpiryQueue<String>()
        let nothing = queue.popExpired(now: .max)
        #expect(queue.isEmpty && queue.peek() == nil && nothing.isEmpty)
        let insertedB = queue.insert("b", deadline: 20)
        let insertedA = queue.insert("a", deadline: 10)
        let reinsertedA = queue.insert("a", deadline: 5)
        #expect(insertedB && insertedA && !reinsertedA, "insert leaves an existing id alone")
        #expect(queue.deadline(of: "a") == 10)
        queue.insert("c", deadline: 20)
        #expect(queue.peek()! == ("a", 10))
        let movedFrom = queue.update("a", deadline: 30)
        let addedFrom = queue.update("d", deadline: 1)
        #expect(movedFrom == 10 && addedFrom == nil)
        #expect(queue.count == 4)
        #expect(queue.sortedEntries().map(\.id) == ["d", "b", "c", "a"])
        try queue.checkInvariants()
        let none = queue.popExpired(now: 0)
        let two = queue.popExpired(now: 20, limit: 2)
        let zero = queue.popExpired(now: 20, limit: 0)
        #expect(none.isEmpty && two == ["d", "b"] && zero.isEmpty)
        let removedMissing = queue.remove("zzz")
        let removedC = queue.remove("c")
        #expect(removedMissing == nil && removedC == 20)
        let early = queue.popExpired(now: 29)
        #expect(early.isEmpty)
        let last = queue.popFirst()
        #expect(last! == ("a", 30))
        #expect(queue.isEmpty && !queue.contains("a"))
        try queue.checkInvariants()
    }

    @Test func equalDeadlinesAreFirstInFirstOut() {
        var queue = ExpiryQueue<Int>()
        for id in 0..<10 { queue.insert(id, deadline: 7) }
        queue.update(3, deadline: 7)
        let order = queue.popExpired(now: 7)
        #expect(order == [0, 1, 2, 4, 5, 6, 7, 8, 9, 3])
    }

    @Test func copiesAreIndependent() {
        var original = ExpiryQueue<Int>()
        original.insert(1, deadline: 1)
        var copy = original
        copy.insert(2, deadline: 0)
        _ = copy.popExpired(now: 10)
        #expect(original.count == 1 && original.peek()! == (1, 1))
        #expect(copy.isEmpty)
    }

    @Test func randomizedAgainstReference() throws {
        let seed: UInt64 = 0xE8B1_2024
        var rng = SeededGenerator(seed: seed)
        var queue = ExpiryQueue<Int>()
        var reference = ReferenceQueue()
        var now: UInt64 = 0
        for step in 0..<6000 {
            let id = Int.random(in: 0..<300, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3:
                let deadline = now + UInt64.random(in: 0..<200, using: &rng)
                let got = queue.update(id, deadline: deadline)
                let want = reference.update(id, deadline)
                #expect(got == want, "seed \(seed) step \(step)")
            case 4:
                let deadline = now + UInt64.random(in: 0..<200, using: &rng)
                let inserted = queue.insert(id, deadline: deadline)
                #expect(inserted == !reference.entries.contains { $0.id == id }, "seed \(seed) step \(step)")
                if inserted { _ = reference.update(id, deadline) }
            case 5, 6:
                let got = queue.remove(id)
                let want = reference.remove(id)
                #expect(got == want, "seed \(seed) step \(step)")
            case 7:
                #expect(queue.deadline(of: id) == reference.entries.first { $0.id == id }?.deadline)
            default:
                now += UInt64.random(in: 0..<20, using: &rng)
                let limit = Int.random(in: 0..<8, using: &rng)
                let got = queue.popExpired(now: now, limit: limit)
                let want = reference.popExpired(now: now, limit: limit)
                #expect(got == want, "seed \(seed) step \(step)")
            }
            #expect(queue.count == reference.entries.count, "seed \(seed) step \(step)")
            #expect(queue.peek()?.id == reference.entries.first?.id, "seed \(seed) step \(step)")
            if step % 97 == 0 {
                try queue.checkInvariants()
                #expect(queue.sortedEntries().map(\.id) == reference.entries.map(\.id), "seed \(seed) step \(step)")
            }
        }
        try queue.checkInvariants()
    }

    @Test func hundredThousandPoppedInSlices() throws {
        let seed: UInt64 = 0x100_000
        var rng = SeededGenerator(seed: seed)
        var queue = ExpiryQueue<Int>()
        var deadlines: [UInt64] = []
        for id in 0..<100_000 {
            let deadline = UInt64.random(in: 0..<1_000_000, using: &rng)
            deadlines.append(deadline)
            queue.insert(id, deadline: deadline)
        }
        try queue.checkInvariants()
        var seen = [Bool](repeating: false, count: 100_000)
        var popped = 0
        var lastDeadline: UInt64 = 0
        var now: UInt64 = 0
        while !queue.isEmpty {
            now += 10_000
            while true {
                let slice = queue.popExpired(now: now, limit: 1000)
                #expect(slice.count <= 1000)
                for id in slice {
                    #expect(!seen[id], "seed \(seed): \(id) popped twice")
                    #expect(deadlines[id] >= lastDeadline && deadlines[id] <= now, "seed \(seed): \(id) out of order")
                    seen[id] = true
                    lastDeadline = deadlines[id]
                    popped += 1
                }
                if slice.count < 1000 { break }
            }
            if let next = queue.peek() { #expect(next.deadline > now, "seed \(seed)") }
            if now % 250_000 == 0 { try queue.checkInvariants() }
        }
        #expect(popped == 100_000 && !seen.contains(false))
    }
}
