/// Numbers at the edges of 64-bit arithmetic, and spellings of numbers the protocol must refuse cleanly.
///
/// Decimal places (`-?[0-9]+`, signed 64-bit) and hex id places (`(0x)?[0-9a-fA-F]{1,16}`) each get their
/// own lists. Everything here must be answered with a reply — `ERR ARGS` for what does not parse, a
/// store error or `OK` for what does — and never trap on overflow.
public enum NumericEdges {
    /// Int64 values where arithmetic goes wrong: the extremes and their neighbours, sign changes,
    /// 32-bit boundaries, and the first integer a Double cannot hold.
    public static let decimals: [Int64] = [
        .min, .min + 1, -(1 << 53) - 1, -(1 << 32), -(1 << 31) - 1, -(1 << 31), -2, -1, 0, 1, 2,
        (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32, (1 << 53) + 1, 1 << 62, .max - 1, .max,
    ]

    /// Decimal spellings: past the 64-bit range, 20+ digits, leading zeros (which parse), signs, hex,
    /// floats, separators, empty and lone signs.
    public static let decimalTexts: [String] = [
        "9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        "99999999999999999999", "-99999999999999999999", String(repeating: "9", count: 40),
        "00000000000000000000000000000000000042", "0009223372036854775807", "-0009223372036854775808",
        "007", "00", "-0", "+0", "+5", "+9223372036854775807", "--1", "-+1", "0x10", "0X7FFFFFFFFFFFFFFF", "ff",
        "1e3", "1.5", "1_000", "12a", "-", "+", "0-1", "",
    ]

    /// 64-bit bit patterns for hex id places (lease ids are signed, sent as two's complement).
    public static let hexes: [UInt64] = [
        0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000, 0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_ffff,
    ]

    /// Hex spellings: 17+ digits, prefixes, signs, non-hex digits, empty.
    public static let hexTexts: [String] = [
        "10000000000000000", "0x10000000000000000", "00000000000000000001", "0xFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFF", "0x", "0X", "0x0", "x1", "-1", "-0x1", "+1", "g", "0xg", "12 ", "1_0", "",
        String(repeating: "f", count: 40),
    ]

    /// A replacement for a decimal place.
    public static func decimal(_ random: inout SplitMix64) -> FuzzValue {
        random.chance(percent: 60) ? .decimal(random.pick(decimals)) : .word(random.pick(decimalTexts))
    }

    /// A replacement for a hex id place.
    public static func hex(_ random: inout SplitMix64) -> FuzzValue {
        switch random.below(10) {
        case 0..<5: .hex(random.pick(hexes))
        case 5..<8: .word(random.pick(hexTexts))
        default: .word(random.pick(decimalTexts))
        }
    }
}
