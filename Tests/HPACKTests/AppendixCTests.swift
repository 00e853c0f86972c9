import Testing
@testable import HPACK

/// The examples of RFC 7541 Appendix C, byte for byte: each block decoded in sequence on one decoder, checking the
/// header list and the dynamic table (entries newest first, and size) after every block.
@Suite struct AppendixCTests {
    struct Step: CustomTestStringConvertible {
        var section: String
        var hex: String
        var headers: [HeaderField]
        var table: [HeaderField]
        var tableSize: Int
        var testDescription: String { section }
    }

    static let example = "www.example.com"
    static let date21 = "Mon, 21 Oct 2013 20:13:21 GMT"
    static let date22 = "Mon, 21 Oct 2013 20:13:22 GMT"
    static let cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
    static let location = "https://www.example.com"

    // C.2: single representations, each on a fresh decoder.
    static let singleRepresentations: [Step] = [
        Step(section: "C.2.1 literal with indexing",
             hex: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
             headers: fields(["custom-key": "custom-header"]), table: fields(["custom-key": "custom-header"]),
             tableSize: 55),
        Step(section: "C.2.2 literal without indexing", hex: "040c 2f73 616d 706c 652f 7061 7468",
             headers: fields([":path": "/sample/path"]), table: [], tableSize: 0),
        Step(section: "C.2.3 literal never indexed", hex: "1008 7061 7373 776f 7264 0673 6563 7265 74",
             headers: fields(["password": "secret"]), table: [], tableSize: 0),
        Step(section: "C.2.4 indexed", hex: "82", headers: fields([":method": "GET"]), table: [], tableSize: 0),
    ]

    static func requests(huffman: Bool) -> [Step] {
        let first = fields([":method": "GET", ":scheme": "http", ":path": "/", ":authority": example])
        let second = first + fields(["cache-control": "no-cache"])
        let third = fields([":method": "GET", ":scheme": "https", ":path": "/index.html", ":authority": example,
                            "custom-key": "custom-value"])
        let section = huffman ? "C.4" : "C.3"
        return [
            Step(section: "\(section).1",
                 hex: huffman ? "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"
                              : "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                 headers: first, table: fields([":authority": example]), tableSize: 57),
            Step(section: "\(section).2",
                 hex: huffman ? "8286 84be 5886 a8eb 1064 9cbf" : "8286 84be 5808 6e6f 2d63 6163 6865",
                 headers: second, table: fields(["cache-control": "no-cache", ":authority": example]),
                 tableSize: 110),
            Step(section: "\(section).3",
                 hex: huffman ? "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
                              : "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
                 headers: third,
                 table: fields(["custom-key": "custom-value", "cache-control": "no-cache", ":authority": example]),
                 tableSize: 164),
        ]
    }

    static func responses(huffman: Bool) -> [Step] {
        let section = huffman ? "C.6" : "C.5"
        return [
            Step(section: "\(section).1",
                 hex: huffman
                    ? """
                      4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                      2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
                      """
                    : """
                      4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                      2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
                      6c65 2e63 6f6d
                      """,
                 headers: fields([":status": "302", "cache-control": "private", "date": date21,
                                  "location": location]),
                 table: fields(["location": location, "date": date21, "cache-control": "private",
                                ":status": "302"]),
                 tableSize: 222),
            Step(section: "\(section).2",
                 hex: huffman ? "4883 640e ffc1 c0bf" : "4803 3330 37c1 c0bf",
                 headers: fields([":status": "307", "cache-control": "private", "date": date21,
                                  "location": location]),
                 table: fields([":status": "307", "location": location, "date": date21,
                                "cache-control": "private"]),
                 tableSize: 222),
            Step(section: "\(section).3",
                 hex: huffman
                    ? """
                      88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
                      77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                      9587 3160 65c0 03ed 4ee5 b106 3d50 07
                      """
                    : """
                      88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
                      54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
                      5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
                      3d31
                      """,
                 headers: fields([":status": "200", "cache-control": "private", "date": date22,
                                  "location": location, "content-encoding": "gzip", "set-cookie": cookie]),
                 table: fields(["set-cookie": cookie, "content-encoding": "gzip", "date": date22]),
                 tableSize: 215),
        ]
    }

    @Test(arguments: singleRepresentations)
    func singleRepresentation(_ step: Step) throws {
        var decoder = HPACKDecoder()
        try expectStep(step, on: &decoder)
    }

    @Test(arguments: [false, true])
    func requestSequence(huffman: Bool) throws {
        var decoder = HPACKDecoder()
        for step in Self.requests(huffman: huffman) { try expectStep(step, on: &decoder) }
    }

    @Test(arguments: [false, true])
    func responseSequenceWithEviction(huffman: Bool) throws {
        var decoder = HPACKDecoder(maxTableSize: 256)
        for step in Self.responses(huffman: huffman) { try expectStep(step, on: &decoder) }
    }

    /// HTTP/2 hands the decoder slices of its frame buffers: indices need not start at 0, and bytes around the slice
    /// must not be read.
    @Test func decodesSlicesOfALargerBuffer() throws {
        var decoder = HPACKDecoder()
        for step in Self.requests(huffman: true) {
            let buffer = [0xFF, 0xFF, 0xFF] + bytes(hex: step.hex) + [0xFF, 0x0F]
            #expect(try decoder.decode(buffer[3..<(buffer.count - 2)]) == step.headers, "\(step.section)")
        }
        let truncated = bytes(hex: "0003 6162 63")
        #expect(throws: HPACKError.stringLongerThanBlock(length: 3, remaining: 2)) {
            try decoder.decode(truncated[0..<4])
        }
    }

    func expectStep(_ step: Step, on decoder: inout HPACKDecoder) throws {
        let decoded = try decoder.decode(bytes(hex: step.hex))
        #expect(decoded == step.headers, "\(step.section) header list")
        #expect(decoder.tableFields == step.table, "\(step.section) dynamic table")
        #expect(decoder.dynamicTableSize == step.tableSize, "\(step.section) table size")
    }
}
