/// A frame's type octet (RFC 9113 §6). A struct rather than an enum: unknown types are legal on the
/// wire and must be ignored (§4.1, §5.5), so every octet is representable.
struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let data = FrameType(rawValue: 0x0)
    static let headers = FrameType(rawValue: 0x1)
    static let priority = FrameType(rawValue: 0x2)
    static let rstStream = FrameType(rawValue: 0x3)
    static let settings = FrameType(rawValue: 0x4)
    static let pushPromise = FrameType(rawValue: 0x5)
    static let ping = FrameType(rawValue: 0x6)
    static let goAway = FrameType(rawValue: 0x7)
    static let windowUpdate = FrameType(rawValue: 0x8)
    static let continuation = FrameType(rawValue: 0x9)

    var description: String {
        switch rawValue {
        case 0x0: "DATA"
        case 0x1: "HEADERS"
        case 0x2: "PRIORITY"
        case 0x3: "RST_STREAM"
        case 0x4: "SETTINGS"
        case 0x5: "PUSH_PROMISE"
        case 0x6: "PING"
        case 0x7: "GOAWAY"
        case 0x8: "WINDOW_UPDATE"
        case 0x9: "CONTINUATION"
        default: "UNKNOWN(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// Frame flag bits (RFC 9113 §6). The same bit means different things for different frame types
/// (0x1 is END_STREAM on DATA/HEADERS and ACK on SETTINGS/PING), hence the aliases.
struct FrameFlags: OptionSet, Hashable, Sendable {
    var rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let endStream = FrameFlags(rawValue: 0x1)
    static let ack = FrameFlags(rawValue: 0x1)
    static let endHeaders = FrameFlags(rawValue: 0x4)
    static let padded = FrameFlags(rawValue: 0x8)
    static let priority = FrameFlags(rawValue: 0x20)
}
