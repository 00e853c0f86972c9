import Testing
@testable import KVStore

@Suite struct HexTests {
    static let valid: [(text: String, bytes: [UInt8])] = [
        ("", []),
        ("00", [0]),
        ("ff", [255]),
        ("FF", [255]),
        ("0a1B2c", [0x0a, 0x1b, 0x2c]),
        ("deadbeef", [0xde, 0xad, 0xbe, 0xef]),
    ]
    static let invalid = ["0", "abc", "0g", "g0", " 00", "00 ", "0x00", "é0", "+1"]

    @Test(arguments: valid)
    func decodes(text: String, bytes: [UInt8]) {
        #expect(Hex.decode(text) == bytes)
        #expect(Hex.encode(bytes) == text.lowercased())
    }

    @Test(arguments: invalid)
    func rejects(text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func roundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let text = Hex.encode(bytes)
        #expect(text.utf8.count == 512)
        #expect(Hex.decode(text) == bytes)
        #expect(Hex.decode(text[...]) == bytes)
    }
}
