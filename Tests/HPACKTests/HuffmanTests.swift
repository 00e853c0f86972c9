import Testing
@testable import HPACK
import TestSupport

@Suite struct HuffmanTests {
    /// A mistyped table entry breaks completeness (Kraft sum 1) or canonical order, so this pins the typed-in table.
    @Test func tableIsTheCompleteCanonicalCode() {
        let codes = HuffmanTable.codes
        #expect(codes.count == 257)
        #expect(codes[HuffmanTable.endOfString] == (0x3FFF_FFFF, 30))
        var kraft: UInt64 = 0  // In units of 2^-30.
        for entry in codes {
            #expect((5...30).contains(entry.bitCount))
            #expect(entry.code >> UInt32(entry.bitCount) == 0)
            kraft += 1 << (30 - UInt64(entry.bitCount))
        }
        #expect(kraft == 1 << 30)
        // Canonical: sorted by (length, symbol), each code is the previous + 1, shifted to the new length.
        let order = codes.indices.sorted { (codes[$0].bitCount, $0) < (codes[$1].bitCount, $1) }
        var expected: UInt32 = 0
        for (rank, symbol) in order.enumerated() {
            if rank > 0 {
                let previous = codes[order[rank - 1]]
                expected = (previous.code + 1) << UInt32(codes[symbol].bitCount - previous.bitCount)
            }
            #expect(codes[symbol].code == expected, "symbol \(symbol)")
        }
        #expect(Huffman.transitions.count == 256 * 16, "257 leaves make 256 internal nodes: one byte per state")
    }

    /// The Huffman-coded strings of RFC 7541 C.4 and C.6.
    static let rfcStrings: [(String, String)] = [
        ("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
        ("no-cache", "a8eb 1064 9cbf"),
        ("custom-key", "25a8 49e9 5ba9 7d7f"),
        ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
        ("302", "6402"),
        ("307", "640e ff"),
        ("private", "aec3 771a 4b"),
        ("Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"),
        ("Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"),
        ("https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"),
        ("gzip", "9bd9 ab"),
        ("foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
         "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"),
    ]

    @Test(arguments: rfcStrings)
    func encodesAndDecodesTheRFCExample(text: String, hex: String) throws {
        var encoded: [UInt8] = []
        Huffman.encode(text.utf8, into: &encoded)
        #expect(hexString(encoded) == hexString(bytes(hex: hex)))
        #expect(Huffman.encodedCount(text.utf8) == encoded.count)
        let decoded = try Huffman.decodeString(encoded[...])
        #expect(decoded.string == text)
        #expect(decoded.octetCount == text.utf8.count)
    }

    @Test func randomByteStringsRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x4875_6666)
        for round in 0..<3000 {
            let length = round < 300 ? round % 4 : Int.random(in: 0...200, using: &rng)
            let original = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var encoded: [UInt8] = []
            Huffman.encode(original, into: &encoded)
            #expect(encoded.count == Huffman.encodedCount(original))
            var decoded: [UInt8] = []
            let count = try Huffman.decode(encoded[...]) { decoded.append($0) }
            #expect(decoded == original)
            #expect(count == original.count)
            #expect(try Huffman.decodedCount(encoded[...]) == original.count)
        }
    }

    @Test func everySymbolRoundTripsAloneAndRepeated() throws {
        for symbol in 0...255 {
            for repeats in [1, 2, 3, 7, 8] {
                let original = [UInt8](repeating: UInt8(symbol), count: repeats)
                var encoded: [UInt8] = []
                Huffman.encode(original, into: &encoded)
                var decoded: [UInt8] = []
                _ = try Huffman.decode(encoded[...]) { decoded.append($0) }
                #expect(decoded == original, "symbol \(symbol) × \(repeats)")
            }
        }
    }

    /// Padding makes the coding unique, so every 1- and 2-byte input either fails or is exactly the encoding of what
    /// it decodes to: this checks acceptance (≤ 7 one-bits) and rejection over the whole small input space.
    @Test func everyShortInputIsRejectedOrCanonical() {
        var accepted = 0
        for length in 1...2 {
            for value in 0..<(1 << (8 * length)) {
                let input = (0..<length).map { UInt8(truncatingIfNeeded: value >> (8 * (length - 1 - $0))) }
                var decoded: [UInt8] = []
                guard (try? Huffman.decode(input[...], emit: { decoded.append($0) })) != nil else { continue }
                accepted += 1
                var reencoded: [UInt8] = []
                Huffman.encode(decoded, into: &reencoded)
                #expect(reencoded == input, "input \(hexString(input)) decoded to \(decoded)")
            }
        }
        #expect(accepted > 1000)
    }

    @Test(arguments: [
        ("18", HPACKError.invalidHuffmanPadding),   // 'a' (00011) then padding 000: not ones.
        ("1e", .invalidHuffmanPadding),             // 'a' then 110.
        ("ff", .invalidHuffmanPadding),             // 8 bits of padding, no symbol.
        ("1fff", .invalidHuffmanPadding),           // 'a', then 3 + 8 = 11 one-bits.
        ("fe", .invalidHuffmanPadding),             // First 8 bits of '!' (11111110|00): ends inside a symbol.
        ("ffff ffff", .huffmanEOSInString),         // EOS (30 ones) then 2 ones.
        ("ffff fffc", .huffmanEOSInString),         // EOS then 00.
        ("1fff ffff ff", .huffmanEOSInString),      // 'a' then 35 ones: EOS inside.
    ])
    func rejectsBadPaddingAndEOS(hex: String, expected: HPACKError) {
        let input = bytes(hex: hex)
        #expect(throws: expected) { try Huffman.decodeString(input[...]) }
        #expect(throws: expected) { try Huffman.decodedCount(input[...]) }
    }

    @Test func acceptsPaddingOfOneToSevenOnes() throws {
        // '0' (00000) + 3 ones; 'a'+'0' (10 bits) + 6 ones; '&' (8 bits) + '0' + ... built by the encoder, checked raw.
        #expect(try Huffman.decodeString(bytes(hex: "07")[...]).string == "0")
        #expect(try Huffman.decodeString(bytes(hex: "18 3f")[...]).string == "a0")
        // 'a','0','0' = 15 bits: exactly one padding bit.
        #expect(try Huffman.decodeString(bytes(hex: "1801")[...]).string == "a00")
        // '&' (11111000) then 'a' (00011) then '0' (00000): 18 bits, 6 ones of padding.
        #expect(try Huffman.decodeString(bytes(hex: "f8 18 3f")[...]).string == "&a0")
    }

    @Test func invalidUTF8IsReplacedButCountedAsSent() throws {
        var encoded: [UInt8] = []
        Huffman.encode([0x61, 0xFF, 0x62], into: &encoded)
        let decoded = try Huffman.decodeString(encoded[...])
        #expect(decoded.string == "a\u{FFFD}b")
        #expect(decoded.octetCount == 3)
    }
}
