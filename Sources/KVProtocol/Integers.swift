/// Integer syntax on the wire: revisions, counts and sizes are decimal (`-` allowed where the type is
/// signed); 64-bit ids (cluster, member, lease) are lower-case hexadecimal without prefix on output and
/// accept an optional `0x` and either case on input.
enum Integers {
    /// A decimal `Int64` (`-?[0-9]+`), or nil on bad syntax or overflow.
    static func int64(_ bytes: some Collection<UInt8>) -> Int64? {
        var digits = bytes[...]
        var negative = false
        if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard let magnitude = uint64(digits) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A decimal `UInt64` (`[0-9]+`, any number of leading zeros), or nil on bad syntax or overflow.
    static func uint64(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// A hexadecimal `UInt64` (`(0x)?[0-9a-fA-F]+` with at most 16 digits after any leading zeros), or nil.
    static func hex(_ bytes: some Collection<UInt8>) -> UInt64? {
        var digits = bytes[...]
        if digits.count > 2, digits.first == UInt8(ascii: "0"),
           digits.dropFirst().first == UInt8(ascii: "x") || digits.dropFirst().first == UInt8(ascii: "X") {
            digits = digits.dropFirst(2)
        }
        while digits.count > 16, digits.first == UInt8(ascii: "0") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard let nibble = Tokenizer.hexValue(byte) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    /// `0`/`1` (also `false`/`true`), or nil.
    static func bool(_ bytes: some Collection<UInt8>) -> Bool? {
        switch String(decoding: bytes, as: UTF8.self) {
        case "0", "false": false
        case "1", "true": true
        default: nil
        }
    }
}

extension ByteBuffer {
    /// Writes ` name=value` with a decimal value.
    @inlinable
    mutating func writeField(_ name: StaticString, _ value: Int64) {
        writeByte(UInt8(ascii: " "))
        writeASCII(name)
        writeByte(UInt8(ascii: "="))
        writeDecimal(value)
    }

    @inlinable
    mutating func writeField(_ name: StaticString, unsigned value: UInt64) {
        writeByte(UInt8(ascii: " "))
        writeASCII(name)
        writeByte(UInt8(ascii: "="))
        writeDecimal(value)
    }

    @inlinable
    mutating func writeField(_ name: StaticString, _ value: Bool) {
        writeByte(UInt8(ascii: " "))
        writeASCII(name)
        writeASCII(value ? "=1" : "=0")
    }

    /// Writes ` name=<hex>`.
    @inlinable
    mutating func writeHexField(_ name: StaticString, _ value: UInt64) {
        writeByte(UInt8(ascii: " "))
        writeASCII(name)
        writeByte(UInt8(ascii: "="))
        writeHex(value)
    }

    /// Writes ` name=<text>`. Field values are bare: a byte that a bare token cannot hold (space,
    /// control, non-ASCII, `\`) is written as `_`, and an empty text as `-`. Used for version strings.
    mutating func writeField(_ name: StaticString, text: String) {
        writeByte(UInt8(ascii: " "))
        writeASCII(name)
        writeByte(UInt8(ascii: "="))
        if text.isEmpty {
            writeByte(UInt8(ascii: "-"))
            return
        }
        for byte in text.utf8 {
            writeByte(byte >= 0x21 && byte <= 0x7e && byte != UInt8(ascii: "\\") ? byte : UInt8(ascii: "_"))
        }
    }
}
