import Testing
@testable import HPACK

/// Malformed blocks (connection errors), the header list limit (a stream error that leaves the decoder in sync),
/// and the table size rules.
@Suite struct HPACKDecoderLimitsTests {
    /// A literal with incremental indexing and a new name (raw strings).
    static func indexedLiteral(_ name: String, _ value: String) -> [UInt8] {
        var block: [UInt8] = [0x40]
        HPACKInteger.encode(name.utf8.count, prefixBits: 7, flags: 0, into: &block)
        block += name.utf8
        HPACKInteger.encode(value.utf8.count, prefixBits: 7, flags: 0, into: &block)
        block += value.utf8
        return block
    }

    @Test func listAboveTheLimitIsAStreamErrorAndTheTableStaysInSync() throws {
        // Each field: 1 + 10 + 32 = 43 bytes; three make 129 > 100.
        var decoder = HPACKDecoder(maxHeaderListSize: 100)
        let block = Self.indexedLiteral("a", "0123456789") + Self.indexedLiteral("b", "0123456789")
            + Self.indexedLiteral("c", "0123456789") + [0x82]
        #expect(throws: HPACKError.headerListTooLarge(limit: 100)) { try decoder.decode(block) }
        #expect(decoder.tableFields == fields(["c": "0123456789", "b": "0123456789", "a": "0123456789"]))
        // The next block refers to all three entries (62 = c, 63 = b, 64 = a) and must see them as the peer does.
        #expect(try decoder.decode([0xC0, 0xBE]) == fields(["a": "0123456789", "c": "0123456789"]))
    }

    @Test func listExactlyAtTheLimitPasses() throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 86)
        let block = Self.indexedLiteral("a", "0123456789") + Self.indexedLiteral("b", "0123456789")
        #expect(try decoder.decode(block).count == 2)
        decoder.maxHeaderListSize = 85
        #expect(throws: HPACKError.headerListTooLarge(limit: 85)) { try decoder.decode([0xBE, 0xBF]) }
    }

    @Test func aLaterMalformedFieldWinsOverTheListLimit() {
        var decoder = HPACKDecoder(maxHeaderListSize: 40)
        let block = Self.indexedLiteral("a", "0123456789") + [0x80]  // Index 0.
        #expect(throws: HPACKError.invalidIndex(0)) { try decoder.decode(block) }
    }

    /// One 4000-byte entry referenced 200,000 times would be 800 MB of header list; the limit stops keeping fields
    /// after about four references, so memory stays at the table plus one list.
    @Test func hpackBombIsStoppedByTheListLimit() throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 16 * 1024)
        var block = Self.indexedLiteral("x", String(repeating: "b", count: 4000))
        block += [UInt8](repeating: 0xBE, count: 200_000)
        #expect(throws: HPACKError.headerListTooLarge(limit: 16 * 1024)) { try decoder.decode(block) }
        #expect(try decoder.decode([0xBE]).first?.value.utf8.count == 4000)
    }

    /// The same bomb with never-kept Huffman literals: validated, not materialized.
    @Test func literalsPastTheLimitAreValidatedButNotKept() throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 1000)
        var field: [UInt8] = [0x00, 0x81, 0x1F]  // Literal without indexing, name "a" (Huffman).
        var value: [UInt8] = []
        Huffman.encode([UInt8](repeating: UInt8(ascii: "z"), count: 500), into: &value)
        HPACKInteger.encode(value.count, prefixBits: 7, flags: 0x80, into: &field)
        field += value
        var block: [UInt8] = []
        for _ in 0..<100 { block += field }
        #expect(throws: HPACKError.headerListTooLarge(limit: 1000)) { try decoder.decode(block) }
        // A bad Huffman string past the limit is still a connection error.
        #expect(throws: HPACKError.invalidHuffmanPadding) { try decoder.decode(block + [0x00, 0x81, 0x1F, 0x81, 0x00]) }
    }

    @Test(arguments: [
        ("80", HPACKError.invalidIndex(0)),
        ("be", .invalidIndex(62)),                                  // Dynamic table empty.
        ("ff80ffffff07", .invalidIndex(Int(Int32.max))),            // The largest index we decode.
        ("7e00", .invalidIndex(62)),                                // Literal naming a missing entry.
        ("0f30 00", .invalidIndex(63)),
        ("ff", .truncatedInteger),
        ("ffffffffffff7f", .integerOverflow),
        ("00", .truncatedInteger),                                  // Literal: name length missing.
        ("0003 6162", .stringLongerThanBlock(length: 3, remaining: 2)),
        ("0001 61", .truncatedInteger),                             // Value length missing.
        ("0001 6102 62", .stringLongerThanBlock(length: 2, remaining: 1)),
        ("007f ffffff07", .stringLongerThanBlock(length: 127 + 0xFFFFFF, remaining: 0)),  // Nothing allocated.
        ("0081 18", .invalidHuffmanPadding),
        ("0084 ffff ffff", .huffmanEOSInString),
        ("3fe2 1f", .tableSizeUpdateAboveLimit(requested: 4097, limit: 4096)),
        ("82 20", .tableSizeUpdateNotAtBlockStart),
    ])
    func malformedBlocksAreConnectionErrors(hex: String, expected: HPACKError) {
        var decoder = HPACKDecoder()
        #expect(throws: expected) { try decoder.decode(bytes(hex: hex)) }
        #expect(expected.isConnectionError)
    }

    @Test func onlyTheListLimitIsAStreamError() {
        #expect(!HPACKError.headerListTooLarge(limit: 1).isConnectionError)
        #expect(HPACKError.tableSizeUpdateMissing(limit: 0).isConnectionError)
        #expect(HPACKError.truncatedInteger.description.contains("HPACK"))
    }

    @Test func sizeUpdatesAtTheStartMayRepeat() throws {
        var decoder = HPACKDecoder()
        _ = try decoder.decode(Self.indexedLiteral("a", "b"))
        // 0 (empties the table), then back to 4096, then a field.
        #expect(try decoder.decode(bytes(hex: "20 3fe1 1f 82")) == fields([":method": "GET"]))
        #expect(decoder.dynamicTableSize == 0)
        #expect(decoder.dynamicTableCapacity == 4096)
    }

    @Test func loweringTheLimitRequiresASizeUpdateInTheNextBlock() throws {
        var decoder = HPACKDecoder()
        _ = try decoder.decode(Self.indexedLiteral("a", "b"))
        decoder.maxTableSize = 100
        #expect(throws: HPACKError.tableSizeUpdateMissing(limit: 100)) { try decoder.decode([0x82]) }

        decoder = HPACKDecoder()
        _ = try decoder.decode(Self.indexedLiteral("a", "b"))
        decoder.maxTableSize = 100
        #expect(throws: HPACKError.tableSizeUpdateAboveLimit(requested: 4096, limit: 100)) {
            try decoder.decode(bytes(hex: "3fe1 1f 82"))
        }

        decoder = HPACKDecoder()
        _ = try decoder.decode(Self.indexedLiteral("a", "b"))
        decoder.maxTableSize = 100
        #expect(try decoder.decode([]) == [], "an empty block leaves the update owed")
        #expect(try decoder.decode(bytes(hex: "3f45 be")) == fields(["a": "b"]))  // Update to 100; entry kept.
        #expect(decoder.dynamicTableCapacity == 100)
        #expect(try decoder.decode([0xBE]) == fields(["a": "b"]), "owed only once")
    }

    @Test func raisingTheLimitAllowsLargerUpdatesButDoesNotGrowTheTable() throws {
        var decoder = HPACKDecoder(maxTableSize: 0)
        #expect(throws: HPACKError.self) { try decoder.decode(bytes(hex: "3f01")) }
        decoder = HPACKDecoder(maxTableSize: 0)
        decoder.maxTableSize = 8192
        _ = try decoder.decode(Self.indexedLiteral("a", "b"))
        #expect(decoder.dynamicTableSize == 0, "capacity stays 0 until the peer's size update")
        _ = try decoder.decode(bytes(hex: "3fe1 3f") + Self.indexedLiteral("a", "b"))  // Update to 8192.
        #expect(decoder.dynamicTableCapacity == 8192)
        #expect(decoder.tableFields == fields(["a": "b"]))
    }

    @Test func invalidUTF8IsReplacedAndTheTableCountsOctetsAsSent() throws {
        var decoder = HPACKDecoder()
        // Literal with indexing, name "n", raw value FF 61 (2 octets; "\u{FFFD}a" is 4 in UTF-8).
        #expect(try decoder.decode(bytes(hex: "4001 6e02 ff61")) == fields(["n": "\u{FFFD}a"]))
        #expect(decoder.dynamicTableSize == 1 + 2 + 32)
    }

    @Test func negativeAndHugeSettingsAreClamped() {
        #expect(HPACKDecoder(maxTableSize: -5).maxTableSize == 0)
        #expect(HPACKDecoder(maxTableSize: .max).maxTableSize == Int(Int32.max))
    }
}
