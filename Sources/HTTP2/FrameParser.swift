/// Cuts the inbound byte stream into frames without copying frames that arrive whole.
///
/// Frames are handed out as (header, payload) where the payload lies either in the caller's input
/// (the common case: zero copy) or, for a frame split across reads, in the parser's carry buffer.
/// The carry buffer never holds more than one frame, and a frame whose declared length exceeds our
/// MAX_FRAME_SIZE is reported (`.tooLarge`) as soon as its 9-octet header is known, before any of its
/// payload is buffered — so the input buffer is bounded by 9 + `maxFrameSize`.
struct FrameParser {
    /// The largest payload accepted (our advertised SETTINGS_MAX_FRAME_SIZE).
    var maxFrameSize: Int
    /// Bytes of a frame that is not complete yet (header included), kept between `next` calls.
    private var carry: [UInt8] = []

    init(maxFrameSize: Int) { self.maxFrameSize = maxFrameSize }

    enum Step {
        /// A whole frame whose payload is `input[payload]`.
        case inInput(FrameHeader, payload: Range<Int>)
        /// A whole frame assembled in the carry buffer: fetch it with `takeCarried`.
        case carried(FrameHeader)
        /// The header declares a payload larger than `maxFrameSize` (FRAME_SIZE_ERROR).
        case tooLarge(FrameHeader)
        /// The input is used up (any partial frame is in the carry buffer).
        case needMore
    }

    /// Bytes buffered from partial frames (for tests and the memory bound).
    var bufferedBytes: Int { carry.count }

    /// The next frame starting at `input[offset...]`, advancing `offset` past what it used.
    mutating func next(_ input: UnsafeRawBufferPointer, offset: inout Int) -> Step {
        if !carry.isEmpty {
            // Complete the header first, then the payload, from the input.
            if carry.count < FrameHeader.size {
                let take = min(FrameHeader.size - carry.count, input.count - offset)
                carry.append(contentsOf: input[offset..<(offset + take)])
                offset += take
                if carry.count < FrameHeader.size { return .needMore }
            }
            let header = carry.withUnsafeBytes { FrameHeader(decoding: $0) }
            if header.length > maxFrameSize { return .tooLarge(header) }
            let total = FrameHeader.size + header.length
            let take = min(total - carry.count, input.count - offset)
            if take > 0 {
                carry.append(contentsOf: input[offset..<(offset + take)])
                offset += take
            }
            return carry.count == total ? .carried(header) : .needMore
        }
        let remaining = input.count - offset
        if remaining == 0 { return .needMore }
        if remaining >= FrameHeader.size {
            let header = FrameHeader(decoding: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + FrameHeader.size)]))
            if header.length > maxFrameSize { return .tooLarge(header) }
            let end = offset + FrameHeader.size + header.length
            if end <= input.count {
                let payload = (offset + FrameHeader.size)..<end
                offset = end
                return .inInput(header, payload: payload)
            }
        }
        carry.append(contentsOf: input[offset...])
        offset = input.count
        // A header completed just now may already be too large: say so without waiting for more.
        if carry.count >= FrameHeader.size {
            let header = carry.withUnsafeBytes { FrameHeader(decoding: $0) }
            if header.length > maxFrameSize { return .tooLarge(header) }
        }
        return .needMore
    }

    /// Hands over the carried frame (header included) and empties the carry buffer. Give the array
    /// back with `recycle` to keep its capacity.
    mutating func takeCarried() -> [UInt8] {
        var frame: [UInt8] = []
        swap(&frame, &carry)
        return frame
    }

    /// Returns the storage of a frame from `takeCarried` for reuse.
    mutating func recycle(_ buffer: [UInt8]) {
        guard carry.isEmpty else { return }
        carry = buffer
        carry.removeAll(keepingCapacity: true)
    }
}

/// Payload helpers shared by the frame handlers: padding (§6.1, §6.2) and big-endian integers.
enum FramePayload {
    /// The payload of a PADDED frame without its Pad Length octet and padding, or nil when the padding
    /// is as long as the payload or longer (a PROTOCOL_ERROR, §6.1). For HEADERS the priority fields
    /// stay at the front of the result.
    static func unpadded(_ payload: UnsafeRawBufferPointer, padded: Bool) -> UnsafeRawBufferPointer? {
        guard padded else { return payload }
        guard let padLength = payload.first.map(Int.init), padLength < payload.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: payload[1..<(payload.count - padLength)])
    }

    static func uint32(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    static func uint16(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt16 {
        UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }
}
