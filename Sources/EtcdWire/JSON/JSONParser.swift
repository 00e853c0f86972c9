/// Reads JSON values (RFC 8259) from a request body, one at a time, within fixed bounds: nesting at
/// most `maximumDepth` levels (deeper input is refused, never recursed into), nothing allocated that
/// the input does not hold. Errors carry the texts Go's `encoding/json` gives, which etcd's gateway
/// returns as they are:
///
/// | input | message |
/// |---|---|
/// | `{"key":"YQ=="` (cut short) | `unexpected EOF` |
/// | `x` | `invalid character 'x' looking for beginning of value` |
/// | `{"a" 1}` | `invalid character '1' after object key` |
/// | `{"a":1 2}` | `invalid character '2' after object key:value pair` |
/// | `[1 2]` | `invalid character '2' after array element` |
/// | `{1}` | `invalid character '1' looking for beginning of object key string` |
///
/// As Go's `json.Decoder`, `next` reads one value and leaves what follows it, so a body may hold
/// several values (a Watch stream's requests) and what follows a unary request's value is ignored.
/// Strings are decoded as Go does: invalid UTF-8 and lone surrogates become U+FFFD.
public struct JSONParser {
    /// The deepest nesting of arrays and objects read (an etcd transaction nested 128 levels is about 390).
    public static let maximumDepth = 512

    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Whether only whitespace is left.
    public var isAtEnd: Bool {
        var index = offset
        while index < bytes.count, JSONParser.isSpace(bytes[index]) { index += 1 }
        return index == bytes.count
    }

    /// The next value, or nil when only whitespace is left (Go's `io.EOF`).
    public mutating func next() throws(JSONDecodingError) -> JSONValue? {
        skipSpace()
        if offset == bytes.count { return nil }
        return try value(depth: 0)
    }

    // MARK: Values

    private mutating func value(depth: Int) throws(JSONDecodingError) -> JSONValue {
        skipSpace()
        guard let byte = peek() else { throw JSONDecodingError("unexpected EOF") }
        switch byte {
        case UInt8(ascii: "{"):
            guard depth < JSONParser.maximumDepth else { throw JSONDecodingError("exceeded max depth") }
            offset += 1
            return try object(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < JSONParser.maximumDepth else { throw JSONDecodingError("exceeded max depth") }
            offset += 1
            return try array(depth: depth + 1)
        case UInt8(ascii: "\""):
            offset += 1
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            throw JSONParser.invalid(byte, "looking for beginning of value")
        }
    }

    private mutating func object(depth: Int) throws(JSONDecodingError) -> JSONValue {
        var members: [JSONMember] = []
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard let start = peek() else { throw JSONDecodingError("unexpected EOF") }
            guard start == UInt8(ascii: "\"") else {
                throw JSONParser.invalid(start, "looking for beginning of object key string")
            }
            offset += 1
            let name = try string()
            skipSpace()
            guard let colon = peek() else { throw JSONDecodingError("unexpected EOF") }
            guard colon == UInt8(ascii: ":") else { throw JSONParser.invalid(colon, "after object key") }
            offset += 1
            members.append(JSONMember(name, try value(depth: depth)))
            skipSpace()
            guard let next = peek() else { throw JSONDecodingError("unexpected EOF") }
            offset += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw JSONParser.invalid(next, "after object key:value pair") }
        }
    }

    private mutating func array(depth: Int) throws(JSONDecodingError) -> JSONValue {
        var elements: [JSONValue] = []
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth))
            skipSpace()
            guard let next = peek() else { throw JSONDecodingError("unexpected EOF") }
            offset += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            guard next == UInt8(ascii: ",") else { throw JSONParser.invalid(next, "after array element") }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONDecodingError) {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        offset += 1
        for index in 1..<expected.count {
            guard let byte = peek() else { throw JSONDecodingError("unexpected EOF") }
            guard byte == expected[index] else {
                throw JSONParser.invalid(byte, "in literal \(word) (expecting \(JSONParser.quote(expected[index])))")
            }
            offset += 1
        }
    }

    /// A number's text, checked against JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(JSONDecodingError) -> String {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let first = peek() else { throw JSONDecodingError("unexpected EOF") }
        guard JSONParser.isDigit(first) else { throw JSONParser.invalid(first, "in numeric literal") }
        offset += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            guard let digit = peek() else { throw JSONDecodingError("unexpected EOF") }
            guard JSONParser.isDigit(digit) else { throw JSONParser.invalid(digit, "after decimal point in numeric literal") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            guard let digit = peek() else { throw JSONDecodingError("unexpected EOF") }
            guard JSONParser.isDigit(digit) else { throw JSONParser.invalid(digit, "in exponent of numeric literal") }
            skipDigits()
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    private mutating func skipDigits() {
        while let byte = peek(), JSONParser.isDigit(byte) { offset += 1 }
    }

    /// A string's contents after its opening quote, escapes decoded.
    private mutating func string() throws(JSONDecodingError) -> String {
        let start = offset
        // The common case: no escapes, copied in one go.
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw JSONParser.invalid(byte, "in string literal") }
            offset += 1
        }
        guard let end = peek() else { throw JSONDecodingError("unexpected EOF") }
        if end == UInt8(ascii: "\"") {
            offset += 1
            return String(decoding: bytes[start..<(offset - 1)], as: UTF8.self)
        }
        var scalars = String(decoding: bytes[start..<offset], as: UTF8.self).unicodeScalars.map { $0 }
        var pendingHigh: UInt32?
        var raw: [UInt8] = []
        func flushRaw() {
            if !raw.isEmpty {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
        }
        while true {
            guard let byte = peek() else { throw JSONDecodingError("unexpected EOF") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                flushRaw()
                if pendingHigh != nil { scalars.append("\u{FFFD}") }
                var text = String.UnicodeScalarView()
                text.append(contentsOf: scalars)
                return String(text)
            case UInt8(ascii: "\\"):
                flushRaw()
                guard let escape = peek() else { throw JSONDecodingError("unexpected EOF") }
                offset += 1
                var decoded: UInt32
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded = UInt32(escape)
                case UInt8(ascii: "b"): decoded = 0x08
                case UInt8(ascii: "f"): decoded = 0x0C
                case UInt8(ascii: "n"): decoded = 0x0A
                case UInt8(ascii: "r"): decoded = 0x0D
                case UInt8(ascii: "t"): decoded = 0x09
                case UInt8(ascii: "u"):
                    decoded = 0
                    for _ in 0..<4 {
                        guard let hex = peek() else { throw JSONDecodingError("unexpected EOF") }
                        guard let digit = JSONParser.hexValue(hex) else {
                            throw JSONParser.invalid(hex, "in \\u hexadecimal character escape")
                        }
                        decoded = decoded << 4 | UInt32(digit)
                        offset += 1
                    }
                default:
                    throw JSONParser.invalid(escape, "in string escape code")
                }
                if let high = pendingHigh {
                    pendingHigh = nil
                    if (0xDC00...0xDFFF).contains(decoded) {
                        scalars.append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (decoded - 0xDC00))!)
                        continue
                    }
                    scalars.append("\u{FFFD}")
                }
                if (0xD800...0xDBFF).contains(decoded) {
                    pendingHigh = decoded
                } else {
                    scalars.append(Unicode.Scalar(decoded) ?? "\u{FFFD}")
                }
            default:
                guard byte >= 0x20 else { throw JSONParser.invalid(byte, "in string literal") }
                if let _ = pendingHigh {
                    pendingHigh = nil
                    scalars.append("\u{FFFD}")
                }
                raw.append(byte)
            }
        }
    }

    // MARK: Bytes

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipSpace() {
        while offset < bytes.count, JSONParser.isSpace(bytes[offset]) { offset += 1 }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func invalid(_ byte: UInt8, _ context: String) -> JSONDecodingError {
        JSONDecodingError("invalid character \(quote(byte)) \(context)")
    }

    /// A byte as Go's scanner quotes it in errors: `'x'`, `'\''`, `'"'`, `'\n'`, `'\x01'`.
    static func quote(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        case 0x07: return "'\\a'"
        case 0x08: return "'\\b'"
        case 0x0C: return "'\\f'"
        case 0x0A: return "'\\n'"
        case 0x0D: return "'\\r'"
        case 0x09: return "'\\t'"
        case 0x0B: return "'\\v'"
        case 0x5C: return "'\\\\'"
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x80...0x9F, 0xAD: return "'\\u00\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16))'"
        case 0xA0...0xFF: return "'\(Character(Unicode.Scalar(byte)))'"
        default: return "'\\x\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16))'"
        }
    }
}
