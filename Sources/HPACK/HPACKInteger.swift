/// HPACK's integer representation (RFC 7541 §5.1): a value in the low `prefixBits` bits of a first byte (whose high
/// bits carry the representation's flags), continued in 7-bit groups, least significant first, when it does not fit.
enum HPACKInteger {
    /// The largest value we decode. Every HPACK integer is an index, a string length or a table size, all of which are
    /// bounded by a header block (or a setting) far below this, so larger values can only be attacks or garbage; the
    /// bound also keeps all arithmetic on decoded values far from overflow.
    static let maxValue = Int(Int32.max)

    /// Appends `value` (which must be >= 0) with the given prefix; `flags` are OR-ed into the first byte's high bits.
    static func encode(_ value: Int, prefixBits: Int, flags: UInt8, into output: inout [UInt8]) {
        let prefixMax = (1 << prefixBits) - 1
        if value < prefixMax {
            output.append(flags | UInt8(truncatingIfNeeded: value))
            return
        }
        output.append(flags | UInt8(truncatingIfNeeded: prefixMax))
        var rest = UInt(bitPattern: value - prefixMax)
        while rest >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: rest & 0x7F) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(truncatingIfNeeded: rest))
    }

    /// Decodes the integer starting at `index` (whose first byte's high bits the caller has already interpreted)
    /// and moves `index` past it.
    ///
    /// Guarantees: never reads outside `bytes`; rejects values above `maxValue` and encodings with more continuation
    /// bytes than a 31-bit value needs (so zero-padded `0x80 0x80 …` runs cannot loop long).
    @inline(__always)
    static func decode(_ bytes: ArraySlice<UInt8>, at index: inout Int, prefixBits: Int) throws(HPACKError) -> Int {
        guard index < bytes.endIndex else { throw .truncatedInteger }
        let prefixMax = (1 << prefixBits) - 1
        var value = Int(bytes[index]) & prefixMax
        index += 1
        if value < prefixMax { return value }
        var shift = 0
        while true {
            guard index < bytes.endIndex else { throw .truncatedInteger }
            guard shift <= 28 else { throw .integerOverflow }
            let byte = bytes[index]
            index += 1
            value += Int(byte & 0x7F) << shift
            guard value <= maxValue else { throw .integerOverflow }
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
