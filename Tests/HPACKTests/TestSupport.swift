@testable import HPACK

/// Bytes from RFC-style hex dumps ("8286 8441 …"); spaces are ignored. Test fixtures only: bad hex is a test bug.
func bytes(hex: String) -> [UInt8] {
    let digits = hex.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }
    precondition(digits.count % 2 == 0, "odd hex fixture")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: preconditionFailure("bad hex fixture")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
    return String(decoding: out, as: UTF8.self)
}

extension HPACKDecoder {
    /// Decodes a whole array (the public API takes slices).
    mutating func decode(_ block: [UInt8]) throws(HPACKError) -> [HeaderField] {
        try decode(block[...])
    }

    /// The dynamic table, newest first.
    var tableFields: [HeaderField] { dynamicTable.entries.map { HeaderField($0.name, $0.value) } }
}

/// Shorthand for header lists in fixtures.
func fields(_ pairs: KeyValuePairs<String, String>) -> [HeaderField] {
    pairs.map { HeaderField($0.key, $0.value) }
}
