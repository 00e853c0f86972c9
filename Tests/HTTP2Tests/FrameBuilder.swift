import HPACK
@testable import HTTP2

/// Test-side frame encoder: builds any frame, valid or not, as raw bytes (independent of the
/// connection's own FrameWriter, so the two check each other).
enum FrameBuilder {
    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        let length = length ?? payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + be32(stream) + payload
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func settings(_ parameters: [(UInt16, UInt32)] = [], ack: Bool = false) -> [UInt8] {
        frame(0x4, flags: ack ? 0x1 : 0, stream: 0, parameters.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + be32($0.1) })
    }

    static func ping(_ opaque: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8], ack: Bool = false, stream: UInt32 = 0) -> [UInt8] {
        frame(0x6, flags: ack ? 0x1 : 0, stream: stream, opaque)
    }

    static func windowUpdate(stream: UInt32, _ increment: UInt32) -> [UInt8] {
        frame(0x8, stream: stream, be32(increment))
    }

    static func rstStream(stream: UInt32, _ code: UInt32 = 0x8) -> [UInt8] {
        frame(0x3, stream: stream, be32(code))
    }

    static func goAway(lastStreamID: UInt32, _ code: UInt32 = 0) -> [UInt8] {
        frame(0x7, stream: 0, be32(lastStreamID) + be32(code))
    }

    static func priority(stream: UInt32, dependsOn: UInt32 = 0, weight: UInt8 = 15) -> [UInt8] {
        frame(0x2, stream: stream, be32(dependsOn) + [weight])
    }

    /// DATA, optionally padded with `padding` zero octets (plus the Pad Length octet).
    static func data(stream: UInt32, _ bytes: [UInt8], endStream: Bool = false, padding: Int? = nil) -> [UInt8] {
        var flags: UInt8 = endStream ? 0x1 : 0
        var payload = bytes
        if let padding {
            flags |= 0x8
            payload = [UInt8(padding)] + bytes + Array(repeating: 0, count: padding)
        }
        return frame(0x0, flags: flags, stream: stream, payload)
    }

    /// HEADERS carrying `block` (already HPACK-encoded), optionally padded and with priority fields.
    static func headers(stream: UInt32, block: [UInt8], endStream: Bool = false, endHeaders: Bool = true,
                        padding: Int? = nil, priority: UInt32? = nil) -> [UInt8] {
        var flags: UInt8 = (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0)
        var payload: [UInt8] = []
        if let priority {
            flags |= 0x20
            payload = be32(priority) + [16]
        }
        payload += block
        if let padding {
            flags |= 0x8
            payload = [UInt8(padding)] + payload + Array(repeating: 0, count: padding)
        }
        return frame(0x1, flags: flags, stream: stream, payload)
    }

    static func continuation(stream: UInt32, block: [UInt8], endHeaders: Bool = true) -> [UInt8] {
        frame(0x9, flags: endHeaders ? 0x4 : 0, stream: stream, block)
    }

    static func encode(_ headers: [HeaderField]) -> [UInt8] {
        var encoder = HPACKEncoder()
        var block: [UInt8] = []
        encoder.encode(headers, into: &block)
        return block
    }

    static func request(path: String = "/etcdserverpb.KV/Range", extra: [HeaderField] = []) -> [HeaderField] {
        [HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", path),
         HeaderField(":authority", "localhost"), HeaderField("content-type", "application/grpc"),
         HeaderField("te", "trailers")] + extra
    }
}

/// A frame read back from the server's output.
struct ParsedFrame: Equatable, CustomStringConvertible {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var endStream: Bool { flags & 0x1 != 0 }
    var isAck: Bool { flags & 0x1 != 0 }
    var endHeaders: Bool { flags & 0x4 != 0 }

    /// The 32-bit value at the start of the payload (WINDOW_UPDATE increment, RST_STREAM code).
    var firstWord: UInt32 {
        payload.count >= 4 ? UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3]) : 0
    }

    /// GOAWAY's error code.
    var goAwayCode: UInt32 {
        payload.count >= 8 ? UInt32(payload[4]) << 24 | UInt32(payload[5]) << 16 | UInt32(payload[6]) << 8 | UInt32(payload[7]) : 0
    }

    /// SETTINGS parameters.
    var settings: [UInt16: UInt32] {
        var result: [UInt16: UInt32] = [:]
        var index = 0
        while index + 6 <= payload.count {
            let id = UInt16(payload[index]) << 8 | UInt16(payload[index + 1])
            let value = UInt32(payload[index + 2]) << 24 | UInt32(payload[index + 3]) << 16
                | UInt32(payload[index + 4]) << 8 | UInt32(payload[index + 5])
            result[id] = value
            index += 6
        }
        return result
    }

    var description: String { "\(FrameType(rawValue: type)) flags=\(flags) stream=\(stream) len=\(payload.count)" }

    /// Cuts a byte stream into frames; a trailing partial frame is an error.
    static func parse(_ bytes: [UInt8]) -> [ParsedFrame]? {
        var frames: [ParsedFrame] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 9 else { return nil }
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard bytes.count - index - 9 >= length else { return nil }
            let stream = (UInt32(bytes[index + 5]) << 24 | UInt32(bytes[index + 6]) << 16 | UInt32(bytes[index + 7]) << 8
                | UInt32(bytes[index + 8])) & 0x7fff_ffff
            frames.append(ParsedFrame(type: bytes[index + 3], flags: bytes[index + 4], stream: stream,
                                      payload: Array(bytes[(index + 9)..<(index + 9 + length)])))
            index += 9 + length
        }
        return frames
    }
}
