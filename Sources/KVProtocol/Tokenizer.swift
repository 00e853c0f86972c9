/// Why a line could not be split into tokens.
public struct TokenizeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case unterminatedQuote
        case invalidEscape(UInt8)
        case invalidHexDigit
        case garbageAfterQuote
        case backslashOutsideQuotes
        case controlByte(UInt8)
        case nonASCIIOutsideQuotes(UInt8)
    }

    public var kind: Kind
    /// 1-based column of the offending byte (for an unterminated quote: of the opening quote).
    public var column: Int

    public init(_ kind: Kind, column: Int) {
        self.kind = kind
        self.column = column
    }

    public var description: String {
        switch kind {
        case .unterminatedQuote:
            "unterminated quoted string starting at column \(column)"
        case .invalidEscape(let byte):
            "invalid escape '\\\(TokenizeError.show(byte))' at column \(column) (valid: \\\\ \\\" \\n \\r \\t \\0 \\xHH)"
        case .invalidHexDigit:
            "invalid hex digit in \\x escape at column \(column) (expected two of 0-9a-fA-F)"
        case .garbageAfterQuote:
            "unexpected character after closing quote at column \(column) (tokens are separated by spaces)"
        case .backslashOutsideQuotes:
            "backslash outside quotes at column \(column) (quote the token to use escapes)"
        case .controlByte(let byte):
            "control byte 0x\(TokenizeError.hex(byte)) outside quotes at column \(column) (quote the token and escape it)"
        case .nonASCIIOutsideQuotes(let byte):
            "non-ASCII byte 0x\(TokenizeError.hex(byte)) outside quotes at column \(column) (quote the token)"
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]], as: UTF8.self)
    }

    static func show(_ byte: UInt8) -> String {
        byte >= 0x21 && byte <= 0x7e ? String(UnicodeScalar(byte)) : "x" + hex(byte)
    }
}

/// Splits one line (without its terminator) into tokens.
///
/// Tokens are separated by runs of spaces (tabs are accepted too). A bare token is printable ASCII
/// (0x21–0x7E) without `\` and not starting with `"`. A quoted token is `"…"` holding any bytes except a
/// lone `"` or `\`, with the escapes `\\ \" \n \r \t \0 \xHH`; raw bytes ≥ 0x80 are taken as themselves.
public enum Tokenizer {
    public static func tokenize(_ line: [UInt8]) throws(TokenizeError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        let count = line.count
        while index < count {
            let byte = line[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                let (token, next) = try quoted(line, openingAt: index)
                tokens.append(token)
                index = next
                if index < count && line[index] != UInt8(ascii: " ") && line[index] != UInt8(ascii: "\t") {
                    throw TokenizeError(.garbageAfterQuote, column: index + 1)
                }
                continue
            }
            let start = index
            while index < count {
                let b = line[index]
                if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") { break }
                if b == UInt8(ascii: "\\") { throw TokenizeError(.backslashOutsideQuotes, column: index + 1) }
                if b < 0x20 || b == 0x7f { throw TokenizeError(.controlByte(b), column: index + 1) }
                if b >= 0x80 { throw TokenizeError(.nonASCIIOutsideQuotes(b), column: index + 1) }
                index += 1
            }
            tokens.append(Token(Array(line[start..<index]), quoted: false, column: start + 1))
        }
        return tokens
    }

    /// Parses the quoted token whose opening quote is at `open`; returns it and the index after the
    /// closing quote.
    static func quoted(_ line: [UInt8], openingAt open: Int) throws(TokenizeError) -> (Token, Int) {
        var bytes: [UInt8] = []
        var index = open + 1
        let count = line.count
        while index < count {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                return (Token(bytes, quoted: true, column: open + 1), index + 1)
            }
            if byte != UInt8(ascii: "\\") {
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 1 < count else { throw TokenizeError(.unterminatedQuote, column: open + 1) }
            let escape = line[index + 1]
            switch escape {
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "n"): bytes.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "r"): bytes.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "t"): bytes.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "0"): bytes.append(0)
            case UInt8(ascii: "x"):
                guard index + 3 < count, let high = hexValue(line[index + 2]), let low = hexValue(line[index + 3]) else {
                    throw TokenizeError(.invalidHexDigit, column: index + 3)
                }
                bytes.append(high << 4 | low)
                index += 4
                continue
            default:
                throw TokenizeError(.invalidEscape(escape), column: index + 1)
            }
            index += 2
        }
        throw TokenizeError(.unterminatedQuote, column: open + 1)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
