/// Text formatting the way etcdctl's Go code prints it: `%q`, `encoding/json` strings, base64,
/// `%016x`, go-humanize sizes and `time.Duration` strings. All byte-oriented; no Foundation.
public enum GoText {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    // MARK: %q

    /// Go's `%q` of a byte string (`strconv.Quote`): printable Unicode kept, invalid UTF-8 as `\xNN`.
    public static func quote(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(bytes.count + 2)
        var index = 0
        while index < bytes.count {
            let (scalar, width) = decodeScalar(bytes, at: index)
            guard let scalar else {
                appendEscape(&out, "x", UInt32(bytes[index]), digits: 2)
                index += 1
                continue
            }
            let v = scalar.value
            switch v {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x07: out += [0x5c, UInt8(ascii: "a")]
            case 0x08: out += [0x5c, UInt8(ascii: "b")]
            case 0x0c: out += [0x5c, UInt8(ascii: "f")]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0x0b: out += [0x5c, UInt8(ascii: "v")]
            default:
                if v < 0x20 || v == 0x7f {
                    appendEscape(&out, "x", v, digits: 2)
                } else if v < 0x80 || isPrint(scalar) {
                    out += bytes[index..<index + width]
                } else if v < 0x10000 {
                    appendEscape(&out, "u", v, digits: 4)
                } else {
                    appendEscape(&out, "U", v, digits: 8)
                }
            }
            index += width
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    public static func quote(_ text: String) -> String { quote(Array(text.utf8)) }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value == 0x20 { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func appendEscape(_ out: inout [UInt8], _ letter: Character, _ value: UInt32, digits: Int) {
        out.append(0x5c)
        out.append(letter.asciiValue!)
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt32(shift)) & 0xf)])
        }
    }

    /// Decodes one UTF-8 scalar at `index`; `nil` (width 1) for an invalid sequence, as Go's `utf8.DecodeRune`.
    static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar?, Int) {
        let b0 = bytes[index]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        func cont(_ i: Int) -> UInt32? {
            guard i < bytes.count, bytes[i] & 0xc0 == 0x80 else { return nil }
            return UInt32(bytes[i] & 0x3f)
        }
        if b0 >= 0xc2 && b0 <= 0xdf, let c1 = cont(index + 1) {
            return (Unicode.Scalar((UInt32(b0 & 0x1f) << 6) | c1), 2)
        }
        if b0 >= 0xe0 && b0 <= 0xef, let c1 = cont(index + 1), let c2 = cont(index + 2) {
            let v = (UInt32(b0 & 0x0f) << 12) | (c1 << 6) | c2
            if v >= 0x800, !(0xd800...0xdfff).contains(v) { return (Unicode.Scalar(v), 3) }
            return (nil, 1)
        }
        if b0 >= 0xf0 && b0 <= 0xf4, let c1 = cont(index + 1), let c2 = cont(index + 2), let c3 = cont(index + 3) {
            let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
            if v >= 0x10000 && v <= 0x10ffff { return (Unicode.Scalar(v), 4) }
        }
        return (nil, 1)
    }

    // MARK: encoding/json strings

    /// A JSON string literal as Go's `encoding/json` writes it: HTML-safe (`<`, `>`, `&` escaped),
    /// U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
    public static func jsonString(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let (scalar, width) = decodeScalar(bytes, at: index)
            guard let scalar else {
                out += Array("\\ufffd".utf8)
                index += 1
                continue
            }
            switch scalar.value {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0x3c, 0x3e, 0x26, 0x2028, 0x2029: appendEscape(&out, "u", scalar.value, digits: 4)
            case 0..<0x20: appendEscape(&out, "u", scalar.value, digits: 4)
            default: out += bytes[index..<index + width]
            }
            index += width
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: base64

    static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (Go's `[]byte` in JSON).
    public static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8) | UInt32(bytes[i + 2])
            out += [base64Alphabet[Int(n >> 18)], base64Alphabet[Int((n >> 12) & 63)],
                    base64Alphabet[Int((n >> 6) & 63)], base64Alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [base64Alphabet[Int(n >> 18)], base64Alphabet[Int((n >> 12) & 63)], 0x3d, 0x3d]
        } else if rest == 2 {
            let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8)
            out += [base64Alphabet[Int(n >> 18)], base64Alphabet[Int((n >> 12) & 63)], base64Alphabet[Int((n >> 6) & 63)], 0x3d]
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: numbers

    /// `%x` of an unsigned value.
    public static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

    /// `%016x` of a signed 64-bit value (a lease ID): zero padded to 16, Go's sign handling for negatives.
    public static func leaseHex(_ value: Int64) -> String {
        if value >= 0 {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
        }
        let digits = String(value.magnitude, radix: 16)
        return "-" + String(repeating: "0", count: max(0, 15 - digits.count)) + digits
    }

    /// `\xNN` for every byte (etcdctl's `--hex`).
    public static func hexEscaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4)
        for byte in bytes {
            out += [0x5c, UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xf)]]
        }
        return out
    }

    /// go-humanize's `Bytes`: SI units, one decimal below 10.
    public static func humanizeBytes(_ size: UInt64) -> String {
        if size < 10 { return "\(size) B" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var exponent = 0
        var scale = 1.0
        while exponent + 1 < units.count, Double(size) >= scale * 1000 {
            scale *= 1000
            exponent += 1
        }
        let value = ((Double(size) / scale * 10 + 0.5).rounded(.down)) / 10
        if value < 10 {
            let tenths = Int((value * 10).rounded())
            return "\(tenths / 10).\(tenths % 10) \(units[exponent])"
        }
        return "\(Int(value.rounded(.toNearestOrEven))) \(units[exponent])"
    }

    /// Go's `time.Duration.String()` for a duration in nanoseconds.
    public static func duration(nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        var u = nanoseconds.magnitude
        var text: String
        if u < 1_000_000_000 {
            let (unit, scale): (String, UInt64) = u < 1_000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            text = fraction(u, scale) + unit
        } else {
            text = fraction(u % 60_000_000_000, 1_000_000_000) + "s"
            u /= 60_000_000_000
            if u > 0 {
                text = "\(u % 60)m" + text
                u /= 60
                if u > 0 { text = "\(u)h" + text }
            }
        }
        return negative ? "-" + text : text
    }

    /// `value / scale` printed with the fractional digits Go keeps (trailing zeros dropped).
    private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
        let whole = value / scale
        var frac = value % scale
        guard frac != 0 else { return "\(whole)" }
        var digits = 0
        var s = scale
        while s > 1 { s /= 10; digits += 1 }
        var text = String(frac)
        text = String(repeating: "0", count: digits - text.count) + text
        while text.hasSuffix("0") { text.removeLast(); frac /= 10 }
        return "\(whole).\(text)"
    }
}
