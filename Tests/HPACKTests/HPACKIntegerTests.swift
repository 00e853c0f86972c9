import Testing
@testable import HPACK
import TestSupport

@Suite struct HPACKIntegerTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var value: Int
        var prefixBits: Int
        var hex: String
        var testDescription: String { "\(value) with a \(prefixBits)-bit prefix" }
    }

    /// RFC 7541 C.1.1-C.1.3, plus the prefix boundaries.
    static let examples: [Example] = [
        Example(value: 10, prefixBits: 5, hex: "0a"),             // C.1.1
        Example(value: 1337, prefixBits: 5, hex: "1f9a0a"),       // C.1.2
        Example(value: 42, prefixBits: 8, hex: "2a"),             // C.1.3
        Example(value: 30, prefixBits: 5, hex: "1e"),
        Example(value: 31, prefixBits: 5, hex: "1f00"),
        Example(value: 31 + 127, prefixBits: 5, hex: "1f7f"),
        Example(value: 31 + 128, prefixBits: 5, hex: "1f8001"),
        Example(value: 0, prefixBits: 1, hex: "00"),
        Example(value: 1, prefixBits: 1, hex: "0100"),
        Example(value: 254, prefixBits: 8, hex: "fe"),
        Example(value: 255, prefixBits: 8, hex: "ff00"),
        Example(value: Int(Int32.max), prefixBits: 7, hex: "7f80ffffff07"),
        Example(value: Int(Int32.max), prefixBits: 5, hex: "1fe0ffffff07"),
    ]

    @Test(arguments: examples)
    func encodesAndDecodesTheExample(_ example: Example) throws {
        var encoded: [UInt8] = []
        HPACKInteger.encode(example.value, prefixBits: example.prefixBits, flags: 0, into: &encoded)
        #expect(hexString(encoded) == example.hex)
        let wire = bytes(hex: example.hex) + [0xAB]  // A following byte must not be consumed.
        var index = 0
        #expect(try HPACKInteger.decode(wire[...], at: &index, prefixBits: example.prefixBits) == example.value)
        #expect(index == wire.count - 1)
    }

    @Test func flagsInTheFirstByteAreKeptAndIgnored() throws {
        var encoded: [UInt8] = []
        HPACKInteger.encode(1337, prefixBits: 5, flags: 0xE0, into: &encoded)
        #expect(encoded == [0xFF, 0x9A, 0x0A])
        var index = 0
        #expect(try HPACKInteger.decode(encoded[...], at: &index, prefixBits: 5) == 1337)
    }

    @Test func roundTripsEveryPrefixOverManyValues() throws {
        var rng = SeededGenerator(seed: 0x1_2345)
        for prefixBits in 1...8 {
            for _ in 0..<500 {
                let value = Int.random(in: 0...HPACKInteger.maxValue, using: &rng) >> Int.random(in: 0...30, using: &rng)
                var encoded: [UInt8] = []
                HPACKInteger.encode(value, prefixBits: prefixBits, flags: 0, into: &encoded)
                var index = 0
                #expect(try HPACKInteger.decode(encoded[...], at: &index, prefixBits: prefixBits) == value)
                #expect(index == encoded.count)
            }
        }
    }

    @Test(arguments: [
        ("", HPACKError.truncatedInteger),
        ("1f", .truncatedInteger),                 // Continuation promised, none present.
        ("1f9a", .truncatedInteger),               // Continuation bit set on the last byte.
        ("1f8080808080", .truncatedInteger),
        ("1fffffffff7f", .integerOverflow),        // 2^35-ish.
        ("1fe1ffffff07", .integerOverflow),        // 2^31: one above the bound.
        ("1f808080808000", .integerOverflow),      // Zero-padded past 5 continuation bytes.
        ("1fffffffffffffffffffff01", .integerOverflow),
    ])
    func rejectsTruncatedAndOversizedIntegers(hex: String, expected: HPACKError) {
        let wire = bytes(hex: hex)
        var index = 0
        #expect(throws: expected) { try HPACKInteger.decode(wire[...], at: &index, prefixBits: 5) }
    }

    @Test func decodesWithinASliceOnly() throws {
        // The slice ends before the continuation byte that follows in the array: truncated, not read past.
        let wire: [UInt8] = [0x00, 0x1F, 0x9A, 0x0A]
        var index = 1
        #expect(throws: HPACKError.truncatedInteger) { try HPACKInteger.decode(wire[1..<3], at: &index, prefixBits: 5) }
        index = 1
        #expect(try HPACKInteger.decode(wire[1...], at: &index, prefixBits: 5) == 1337)
    }
}
