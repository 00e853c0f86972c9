/// How the fuzzer writes a byte string as one token: every style here is valid per docs/PROTOCOL.md §3,
/// so the decoder must read all of them back as the same bytes.
///
/// | style | `61 20 ff` (`a`, space, 0xff) | `foo` |
/// |---|---|---|
/// | ``Style/canonical`` | `"a \xff"` | `foo` |
/// | ``Style/quoted`` | `"a \xff"` | `"foo"` |
/// | ``Style/hexEscaped`` | `"\x61 \xFF"` | `"f\x6Fo"` (some printable bytes escaped too) |
/// | ``Style/raw`` | `"a ` + raw `ff` + `"` | `"foo"` |
public enum DataQuoting {
    public enum Style: Hashable, Sendable, CaseIterable {
        /// As encoders write it: bare when allowed, else quoted with minimal escapes.
        case canonical
        /// Always quoted, minimal escapes.
        case quoted
        /// Always quoted; bytes that need an escape get upper-case `\xHH`, and so do some letters.
        case hexEscaped
        /// Always quoted; bytes ≥ 0x80 and control bytes other than `\n` are written raw.
        case raw
    }

    /// Words with a meaning inside a TXN line; a key or value spelling one must be quoted there.
    public static let reservedWords: [String] = [
        "IF", "THEN", "ELSE", "END", "GET", "RANGE", "PUT", "DEL", "DELETE", "TXN",
        "VALUE", "VAL", "VERSION", "VER", "CREATE", "MOD", "LEASE", "=", "==", "!=", "<", ">",
    ]

    /// Whether `bytes` spell a reserved word of TXN syntax, in any case.
    public static func isReservedWord(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 7 else { return false }
        let upper = String(decoding: bytes.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 32 : $0 }, as: UTF8.self)
        return reservedWords.contains(upper)
    }

    /// Whether `bytes` may be written bare: non-empty printable ASCII without `\`, not starting with `"`
    /// or `--`.
    public static func canBeBare(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, first != UInt8(ascii: "\"") else { return false }
        if bytes.count >= 2 && first == UInt8(ascii: "-") && bytes[1] == UInt8(ascii: "-") { return false }
        return bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: "\\") }
    }

    public static func write(_ bytes: [UInt8], style: Style, avoidingReservedWords: Bool, into out: inout [UInt8]) {
        if style == .canonical && canBeBare(bytes) && !(avoidingReservedWords && isReservedWord(bytes)) {
            out += bytes
            return
        }
        out.append(UInt8(ascii: "\""))
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x20...0x7e:
                if style == .hexEscaped && index % 3 == 1 && byte != UInt8(ascii: " ") {
                    hexEscape(byte, upper: true, into: &out)
                } else {
                    out.append(byte)
                }
            default:
                switch style {
                case .raw:
                    out.append(byte)
                case .hexEscaped:
                    hexEscape(byte, upper: true, into: &out)
                case .canonical, .quoted:
                    switch byte {
                    case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                    case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                    case 0: out += [UInt8(ascii: "\\"), UInt8(ascii: "0")]
                    default: hexEscape(byte, upper: false, into: &out)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func hexEscape(_ byte: UInt8, upper: Bool, into out: inout [UInt8]) {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xf)]]
    }
}
