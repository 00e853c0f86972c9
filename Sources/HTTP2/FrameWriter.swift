/// Appends encoded frames to an output buffer. Stateless: the connection decides what to send, this
/// only knows the layouts (RFC 9113 §6). Nothing here allocates beyond the buffer's own growth.
enum FrameWriter {
    static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: value >> 24))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value))
    }

    /// SETTINGS with the given parameters (identifier, value) on stream 0.
    static func settings(_ parameters: [(SettingsParameter, UInt32)], into output: inout [UInt8]) {
        FrameHeader(length: 6 * parameters.count, type: .settings, streamID: 0).encode(into: &output)
        for (parameter, value) in parameters {
            output.append(UInt8(truncatingIfNeeded: parameter.rawValue >> 8))
            output.append(UInt8(truncatingIfNeeded: parameter.rawValue))
            appendUInt32(value, to: &output)
        }
    }

    static func settingsAck(into output: inout [UInt8]) {
        FrameHeader(length: 0, type: .settings, flags: .ack, streamID: 0).encode(into: &output)
    }

    /// A PING ACK echoing the 8 opaque octets.
    static func pingAck(_ opaque: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        FrameHeader(length: 8, type: .ping, flags: .ack, streamID: 0).encode(into: &output)
        output.append(contentsOf: opaque.prefix(8))
    }

    static func windowUpdate(streamID: UInt32, increment: Int, into output: inout [UInt8]) {
        FrameHeader(length: 4, type: .windowUpdate, streamID: streamID).encode(into: &output)
        appendUInt32(UInt32(truncatingIfNeeded: increment) & 0x7fff_ffff, to: &output)
    }

    static func rstStream(streamID: UInt32, code: HTTP2ErrorCode, into output: inout [UInt8]) {
        FrameHeader(length: 4, type: .rstStream, streamID: streamID).encode(into: &output)
        appendUInt32(code.rawValue, to: &output)
    }

    static func goAway(lastStreamID: UInt32, code: HTTP2ErrorCode, debug: String, into output: inout [UInt8]) {
        // Debug data is for humans; keep it small so a GOAWAY always fits the default frame size.
        let debugBytes = debug.utf8.prefix(256)
        FrameHeader(length: 8 + debugBytes.count, type: .goAway, streamID: 0).encode(into: &output)
        appendUInt32(lastStreamID & 0x7fff_ffff, to: &output)
        appendUInt32(code.rawValue, to: &output)
        output.append(contentsOf: debugBytes)
    }

    /// One DATA frame (no padding: we never pad). The caller keeps `bytes.count` within the peer's
    /// MAX_FRAME_SIZE and windows.
    static func data(streamID: UInt32, bytes: UnsafeRawBufferPointer, endStream: Bool, into output: inout [UInt8]) {
        FrameHeader(length: bytes.count, type: .data, flags: endStream ? .endStream : [], streamID: streamID)
            .encode(into: &output)
        output.append(contentsOf: bytes)
    }

    /// A header block as HEADERS followed by as many CONTINUATION frames as `maxFrameSize` makes
    /// necessary (§4.3: nothing may come between them, which holds because they are appended at once).
    static func headers(streamID: UInt32, block: [UInt8], endStream: Bool, maxFrameSize: Int,
                        into output: inout [UInt8]) {
        output.reserveCapacity(output.count + block.count + FrameHeader.size * (1 + block.count / maxFrameSize))
        var start = 0
        var first = true
        repeat {
            let end = min(block.count, start + maxFrameSize)
            var flags: FrameFlags = end == block.count ? .endHeaders : []
            if first && endStream { flags.insert(.endStream) }
            FrameHeader(length: end - start, type: first ? .headers : .continuation, flags: flags, streamID: streamID)
                .encode(into: &output)
            output.append(contentsOf: block[start..<end])
            start = end
            first = false
        } while start < block.count
    }
}
