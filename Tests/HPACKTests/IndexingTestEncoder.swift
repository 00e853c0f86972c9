@testable import HPACK
import TestSupport

/// A test-only HPACK encoder that uses everything `HPACKEncoder` avoids, as real clients do: incremental indexing
/// and dynamic-table references (grpc C-core, grpc-go), Huffman or raw strings at random, never-indexed literals,
/// and dynamic table size updates (several at a block's start, as RFC 7541 §4.2 allows).
///
/// Its table is kept as a plain array, newest first, evicting from the end: the reference model the decoder's ring
/// buffer is checked against. It is deliberately naive (linear searches, array inserts).
struct IndexingTestEncoder {
    var rng: SeededGenerator
    /// The reference model of the dynamic table, newest first.
    private(set) var table: [HeaderField] = []
    private(set) var capacity: Int
    /// The decoder's SETTINGS_HEADER_TABLE_SIZE: size updates never exceed it.
    let limit: Int
    /// One in how many blocks starts with size updates.
    var sizeUpdateOneIn = 6

    init(seed: UInt64, limit: Int = 4096) {
        rng = SeededGenerator(seed: seed)
        self.limit = limit
        capacity = limit
    }

    var tableSize: Int { table.reduce(0) { $0 + $1.size } }

    private mutating func chance(_ oneIn: Int) -> Bool { Int.random(in: 1...oneIn, using: &rng) == 1 }

    mutating func encode(_ headers: [HeaderField]) -> [UInt8] {
        var output: [UInt8] = []
        if chance(sizeUpdateOneIn) {
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let choices = [0, 1, 64, 100, 256, limit / 2, limit]
                setCapacity(choices.randomElement(using: &rng)!, into: &output)
            }
        }
        for field in headers { encode(field, into: &output) }
        return output
    }

    mutating func setCapacity(_ newCapacity: Int, into output: inout [UInt8]) {
        HPACKInteger.encode(newCapacity, prefixBits: 5, flags: 0x20, into: &output)
        capacity = newCapacity
        evictToFit()
    }

    private mutating func encode(_ field: HeaderField, into output: inout [UInt8]) {
        let staticFull = StaticTable.entries.firstIndex { $0.name == field.name && $0.value == field.value }
            .map { $0 + 1 }
        let dynamicFull = table.firstIndex(of: field).map { $0 + 62 }
        if let index = staticFull ?? dynamicFull, !chance(8) {
            HPACKInteger.encode(index, prefixBits: 7, flags: 0x80, into: &output)
            return
        }
        let staticName = StaticTable.entries.firstIndex { $0.name == field.name }.map { $0 + 1 }
        let dynamicName = table.firstIndex { $0.name == field.name }.map { $0 + 62 }
        let nameIndex = chance(6) ? nil : (chance(2) ? staticName ?? dynamicName : dynamicName ?? staticName)

        let (prefixBits, flags): (Int, UInt8)
        let indexing: Bool
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: (prefixBits, flags, indexing) = (6, 0x40, true)    // With incremental indexing.
        case 6..<8: (prefixBits, flags, indexing) = (4, 0x00, false)   // Without indexing.
        default: (prefixBits, flags, indexing) = (4, 0x10, false)      // Never indexed.
        }
        HPACKInteger.encode(nameIndex ?? 0, prefixBits: prefixBits, flags: flags, into: &output)
        if nameIndex == nil { appendString(field.name, into: &output) }
        appendString(field.value, into: &output)
        if indexing {
            table.insert(field, at: 0)
            evictToFit()
        }
    }

    private mutating func appendString(_ string: String, into output: inout [UInt8]) {
        let utf8 = Array(string.utf8)
        if chance(2) {
            HPACKInteger.encode(Huffman.encodedCount(utf8), prefixBits: 7, flags: 0x80, into: &output)
            Huffman.encode(utf8, into: &output)
        } else {
            HPACKInteger.encode(utf8.count, prefixBits: 7, flags: 0, into: &output)
            output += utf8
        }
    }

    /// RFC 7541 §4.4 as a model: a new entry larger than the table empties it; otherwise the oldest go first.
    private mutating func evictToFit() {
        if let newest = table.first, newest.size > capacity {
            table = []
            return
        }
        while tableSize > capacity { table.removeLast() }
    }
}
