import Testing
@testable import HPACK
import TestSupport

@Suite struct DynamicTableTests {
    static func entry(_ name: String, _ value: String) -> DynamicTable.Entry {
        .init(name: name, value: value, nameOctetCount: name.utf8.count, size: name.utf8.count + value.utf8.count + 32)
    }

    static func names(_ table: DynamicTable) -> [String] { table.entries.map(\.name) }

    @Test func newestEntryComesFirstAndOldestIsEvicted() {
        var table = DynamicTable(capacity: 3 * 34)  // Three one-byte-name, one-byte-value entries.
        for name in ["a", "b", "c"] { table.insert(Self.entry(name, "x")) }
        #expect(Self.names(table) == ["c", "b", "a"])
        #expect(table.size == 102)
        table.insert(Self.entry("d", "x"))
        #expect(Self.names(table) == ["d", "c", "b"])
        #expect(table.size == 102)
        table.insert(Self.entry("ee", "x"))  // 35 bytes: evicts two.
        #expect(Self.names(table) == ["ee", "d"])
        #expect(table.size == 69)
    }

    @Test func anEntryLargerThanTheTableEmptiesIt() {
        var table = DynamicTable(capacity: 100)
        table.insert(Self.entry("a", "b"))
        table.insert(Self.entry("big", String(repeating: "v", count: 66)))  // 101 bytes.
        #expect(table.count == 0)
        #expect(table.size == 0)
        table.insert(Self.entry("fits", String(repeating: "v", count: 64)))  // Exactly 100.
        #expect(table.count == 1)
        #expect(table.size == 100)
    }

    @Test func shrinkingEvictsAndZeroEmpties() {
        var table = DynamicTable(capacity: 4096)
        for index in 0..<100 { table.insert(Self.entry("n\(index)", "v")) }
        table.setCapacity(200)
        #expect(table.size <= 200)
        #expect(Self.names(table) == ["n99", "n98", "n97", "n96", "n95"])
        table.setCapacity(0)
        #expect(table.count == 0)
        #expect(table.size == 0)
        table.setCapacity(4096)
        table.insert(Self.entry("again", "v"))
        #expect(Self.names(table) == ["again"])
    }

    /// Many random inserts and resizes against a plain array model (insert at 0, evict from the end): exercises the
    /// ring's wrap-around and growth.
    @Test func matchesAnArrayModelUnderRandomOperations() {
        var rng = SeededGenerator(seed: 0xD7AB_1E)
        var table = DynamicTable(capacity: 512)
        var model: [DynamicTable.Entry] = []
        var capacity = 512
        for step in 0..<20_000 {
            if Int.random(in: 0..<50, using: &rng) == 0 {
                capacity = [0, 40, 100, 512, 1000, 4096].randomElement(using: &rng)!
                table.setCapacity(capacity)
            } else {
                let valueLength = Int.random(in: 0...Int.random(in: 1...300, using: &rng), using: &rng)
                let entry = Self.entry("k\(step % 97)", String(repeating: "v", count: valueLength))
                table.insert(entry)
                if entry.size > capacity {
                    model = []
                } else {
                    model.insert(entry, at: 0)
                }
            }
            while model.reduce(0, { $0 + $1.size }) > capacity { model.removeLast() }
            #expect(table.entries == model, "step \(step)")
            #expect(table.size == model.reduce(0) { $0 + $1.size })
            if table.entries != model { break }
        }
    }
}
