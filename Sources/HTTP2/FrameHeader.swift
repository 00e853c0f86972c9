/// The fixed 9-octet header every frame starts with (RFC 9113 §4.1): a 24-bit payload length, the
/// type, the flags, and a 31-bit stream identifier (the reserved high bit is ignored on receipt and
/// always sent as 0).
struct FrameHeader: Hashable, Sendable {
    /// The size of the encoded header.
    static let size = 9

    var length: Int
    var type: FrameType
    var flags: FrameFlags
    var streamID: UInt32

    init(length: Int, type: FrameType, flags: FrameFlags = [], streamID: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.streamID = streamID
    }

    /// Reads a header from the first 9 bytes of `bytes` (the caller guarantees they are there).
    init(decoding bytes: UnsafeRawBufferPointer) {
        length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        type = FrameType(rawValue: bytes[3])
        flags = FrameFlags(rawValue: bytes[4])
        streamID = (UInt32(bytes[5]) << 24 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 8 | UInt32(bytes[8])) & 0x7fff_ffff
    }

    /// Appends the 9 encoded octets. `length` must fit in 24 bits (callers never exceed MAX_FRAME_SIZE).
    func encode(into output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(type.rawValue)
        output.append(flags.rawValue)
        let id = streamID & 0x7fff_ffff
        output.append(UInt8(truncatingIfNeeded: id >> 24))
        output.append(UInt8(truncatingIfNeeded: id >> 16))
        output.append(UInt8(truncatingIfNeeded: id >> 8))
        output.append(UInt8(truncatingIfNeeded: id))
    }
}
