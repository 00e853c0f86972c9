/// One token of a request or reply line, after unquoting.
public struct Token: Hashable, Sendable, CustomStringConvertible {
    /// The token's bytes (escapes resolved, quotes removed).
    public var bytes: [UInt8]
    /// Whether the token was written in double quotes (a quoted token is never an option or keyword).
    public var isQuoted: Bool
    /// 1-based column of the token's first byte on its line, for error messages.
    public var column: Int

    public init(_ bytes: [UInt8], quoted: Bool = false, column: Int = 0) {
        self.bytes = bytes
        self.isQuoted = quoted
        self.column = column
    }

    /// An unquoted token starting with `--`.
    public var isOption: Bool {
        !isQuoted && bytes.count >= 2 && bytes[0] == UInt8(ascii: "-") && bytes[1] == UInt8(ascii: "-")
    }

    /// Whether this is the unquoted word `word`, compared ASCII case-insensitively (`word` is upper-case).
    public func isWord(_ word: StaticString) -> Bool {
        guard !isQuoted, bytes.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            for index in 0..<bytes.count where asciiUppercased(bytes[index]) != expected[index] { return false }
            return true
        }
    }

    /// The bytes upper-cased (ASCII only), as text; for verbs and keywords.
    var upperText: String {
        String(decoding: bytes.map(asciiUppercased), as: UTF8.self)
    }

    /// The token as it would be written on the wire.
    public var description: String { TokenEscaper.encodedString(bytes) }
}

@inlinable
func asciiUppercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte &- 32 : byte
}

/// Turns arbitrary bytes into one wire token: bare when that is unambiguous, otherwise double-quoted
/// with the minimal escapes (control bytes, DEL, bytes ≥ 0x80, `"` and `\`; spaces stay literal).
public enum TokenEscaper {
    /// Whether `bytes` can be sent as a bare token: non-empty printable ASCII, no `\`, not starting with
    /// `"` and not starting with `--` (which would read as an option).
    @inlinable
    public static func canBeBare(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first, first != UInt8(ascii: "\"") else { return false }
        var previousDash = false
        var index = 0
        for byte in bytes {
            guard byte >= 0x21, byte <= 0x7e, byte != UInt8(ascii: "\\") else { return false }
            if index == 1 && previousDash && byte == UInt8(ascii: "-") { return false }
            previousDash = index == 0 && byte == UInt8(ascii: "-")
            index += 1
        }
        return true
    }

    /// The encoded token as a string (for messages and tests).
    public static func encodedString(_ bytes: [UInt8]) -> String {
        var buffer = ByteBuffer(capacity: bytes.count + 2)
        buffer.writeToken(bytes)
        return String(decoding: buffer.readAll(), as: UTF8.self)
    }

    /// The encoded token as bytes.
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(capacity: bytes.count + 2)
        buffer.writeToken(bytes)
        return buffer.readAll()
    }
}

extension ByteBuffer {
    /// Writes `bytes` as one token, bare when possible.
    @inlinable
    public mutating func writeToken(_ bytes: [UInt8]) {
        if TokenEscaper.canBeBare(bytes) {
            writeBytes(bytes)
        } else {
            writeQuoted(bytes)
        }
    }

    /// Writes `bytes` as one token that can never be mistaken for a structural word of a TXN line:
    /// quoted when bare would do but the bytes spell a reserved word.
    mutating func writeToken(_ bytes: [UInt8], avoidingReservedWords: Bool) {
        if avoidingReservedWords && TxnSyntax.isReservedWord(bytes) {
            writeQuoted(bytes)
        } else {
            writeToken(bytes)
        }
    }

    /// Writes `bytes` double-quoted with minimal escapes.
    @inlinable
    public mutating func writeQuoted(_ bytes: [UInt8]) {
        writeByte(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): writeASCII("\\\"")
            case UInt8(ascii: "\\"): writeASCII("\\\\")
            case UInt8(ascii: "\n"): writeASCII("\\n")
            case UInt8(ascii: "\r"): writeASCII("\\r")
            case UInt8(ascii: "\t"): writeASCII("\\t")
            case 0: writeASCII("\\0")
            case 0x20...0x7e: writeByte(byte)
            default:
                writeASCII("\\x")
                writeByte(Self.hexDigit(byte >> 4))
                writeByte(Self.hexDigit(byte & 0xf))
            }
        }
        writeByte(UInt8(ascii: "\""))
    }

    /// Writes `text`'s UTF-8 bytes as one token.
    @inlinable
    public mutating func writeToken(_ text: String) {
        writeToken(Array(text.utf8))
    }
}

extension Token {
    /// The token as text for a user or role name or a password. Those are strings on etcd's wire (proto3
    /// `string`, which must be UTF-8), so bytes that are not UTF-8 are refused rather than replaced —
    /// replacing would make different names the same user. The error names the argument, never its value.
    func utf8Text(_ verb: String, _ argument: String) throws(WireError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WireError.args(verb, "\(argument) is not valid UTF-8")
        }
        return text
    }
}
