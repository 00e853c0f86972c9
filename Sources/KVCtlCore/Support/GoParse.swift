/// Parsing of flag and argument values with Go's rules and Go's error texts, as etcdctl reports them.
public enum GoParse {
    /// `strconv.ParseInt(text, base, 64)`; base 0 accepts `0x`, `0o`, `0b` and leading-`0` octal prefixes.
    public static func int64(_ text: String, base: Int = 10) -> Result<Int64, GoParseError> {
        let fail = GoParseError("strconv.ParseInt: parsing \(GoText.quote(text)): invalid syntax")
        var chars = Substring(text)
        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars = chars.dropFirst()
        }
        var radix = base
        if base == 0 {
            radix = 10
            let lower = chars.lowercased()
            if lower.hasPrefix("0x") { radix = 16; chars = chars.dropFirst(2) }
            else if lower.hasPrefix("0o") { radix = 8; chars = chars.dropFirst(2) }
            else if lower.hasPrefix("0b") { radix = 2; chars = chars.dropFirst(2) }
            else if chars.hasPrefix("0") && chars.count > 1 { radix = 8; chars = chars.dropFirst() }
            chars = chars.filter { $0 != "_" }[...]
        }
        guard !chars.isEmpty else { return .failure(fail) }
        var magnitude: UInt64 = 0
        var overflow = false
        for ch in chars {
            guard let digit = ch.hexDigitValue, digit < radix else { return .failure(fail) }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: UInt64(radix))
            let (m2, o2) = m1.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { overflow = true }
            magnitude = m2
        }
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        if overflow || magnitude > limit {
            return .failure(GoParseError("strconv.ParseInt: parsing \(GoText.quote(text)): value out of range"))
        }
        if negative { return .success(magnitude == limit ? Int64.min : -Int64(magnitude)) }
        return .success(Int64(magnitude))
    }

    /// `strconv.ParseBool`.
    public static func bool(_ text: String) -> Result<Bool, GoParseError> {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": .success(true)
        case "0", "f", "F", "FALSE", "false", "False": .success(false)
        default: .failure(GoParseError("strconv.ParseBool: parsing \(GoText.quote(text)): invalid syntax"))
        }
    }

    /// `time.ParseDuration`, in nanoseconds.
    public static func duration(_ text: String) -> Result<Int64, GoParseError> {
        let quoted = GoText.quote(text)
        let invalid = GoParseError("time: invalid duration \(quoted)")
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        if bytes.elementsEqual("0".utf8) { return .success(0) }
        if bytes.isEmpty { return .failure(invalid) }
        var total: Double = 0
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while !bytes.isEmpty {
            var number: Double = 0
            var sawDigits = false
            while let b = bytes.first, isDigit(b) {
                number = number * 10 + Double(b - 0x30)
                sawDigits = true
                bytes = bytes.dropFirst()
            }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                var scale = 0.1
                while let b = bytes.first, isDigit(b) {
                    number += Double(b - 0x30) * scale
                    scale /= 10
                    sawDigits = true
                    bytes = bytes.dropFirst()
                }
            }
            guard sawDigits else { return .failure(invalid) }
            var unitBytes: [UInt8] = []
            while let b = bytes.first, b != UInt8(ascii: "."), !isDigit(b) {
                unitBytes.append(b)
                bytes = bytes.dropFirst()
            }
            if unitBytes.isEmpty { return .failure(GoParseError("time: missing unit in duration \(quoted)")) }
            let unit = String(decoding: unitBytes, as: UTF8.self)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return .failure(GoParseError("time: unknown unit \(GoText.quote(unit)) in duration \(quoted)"))
            }
            total += number * scale
        }
        guard total < 9.2e18 else { return .failure(invalid) }
        let ns = Int64(total.rounded())
        return .success(negative ? -ns : ns)
    }
}

/// A parse failure carrying Go's message.
public struct GoParseError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
