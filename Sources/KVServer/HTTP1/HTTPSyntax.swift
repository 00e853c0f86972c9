/// Character classes of HTTP/1.1's grammar (RFC 9110 §5.6, RFC 9112), as 256-entry tables.
enum HTTPSyntax {
    /// `tchar`: ``!#$%&'*+-.^_`|~``, digits and letters — methods, header names, transfer codings.
    static func isTokenByte(_ byte: UInt8) -> Bool { tokenTable[Int(byte)] }

    /// Bytes allowed in a header field value: visible ASCII, space, tab and obs-text (0x80–0xFF).
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7f)
    }

    /// Bytes allowed in a request target: visible ASCII.
    static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7f }

    private static let tokenTable: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// ASCII lower-casing of a header name or token.
    static func lowercased(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
