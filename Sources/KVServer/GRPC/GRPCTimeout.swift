/// The `grpc-timeout` request header: at most 8 ASCII digits and a unit — `H` hours, `M` minutes,
/// `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds (the gRPC over HTTP/2 spec).
enum GRPCTimeout {
    /// The timeout in nanoseconds, or nil when the value is malformed (then gRPC servers answer
    /// INTERNAL; callers decide).
    static func nanoseconds(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else { return nil }
        var value: UInt64 = 0
        for byte in bytes.dropLast() {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        let scale: UInt64
        switch unit {
        case UInt8(ascii: "H"): scale = 3_600_000_000_000
        case UInt8(ascii: "M"): scale = 60_000_000_000
        case UInt8(ascii: "S"): scale = 1_000_000_000
        case UInt8(ascii: "m"): scale = 1_000_000
        case UInt8(ascii: "u"): scale = 1_000
        case UInt8(ascii: "n"): scale = 1
        default: return nil
        }
        // 99,999,999 hours does not fit in 64 bits of nanoseconds: saturate.
        let (result, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? .max : result
    }
}
