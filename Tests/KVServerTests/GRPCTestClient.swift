import EtcdWire
import HPACK
import KVPosix

/// A minimal HTTP/2 + gRPC client written for tests: blocking, one frame at a time, every read bounded
/// by the socket's timeout. It sends what grpc clients send (the preface, SETTINGS, HEADERS encoded with
/// HPACK, DATA with gRPC's 5-byte framing), acknowledges SETTINGS and PING, and returns WINDOW_UPDATEs
/// for all DATA it reads, so large replies flow.
final class GRPCTestClient {
    enum Failure: Error, Equatable { case reset(UInt32, UInt32), goAway(UInt32, String), unexpected(String) }

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
        var endStream: Bool { flags & 0x1 != 0 }
    }

    /// What came back on one call.
    struct Call {
        var headers: [HeaderField] = []
        var messages: [[UInt8]] = []
        var trailers: [HeaderField] = []
        var status: Int? { (trailers + headers).first { $0.name == "grpc-status" }.flatMap { Int($0.value) } }
        var message: String? { (trailers + headers).first { $0.name == "grpc-message" }?.value }
    }

    let connection: HTTPTestClient
    private var encoder = HPACKEncoder()
    private var decoder = HPACKDecoder()
    private var nextStreamID: UInt32 = 1
    /// Partial gRPC messages per stream.
    private var partial: [UInt32: [UInt8]] = [:]

    init(endpoint: String, timeout: UInt64 = 5_000_000_000) throws {
        connection = try HTTPTestClient(endpoint: endpoint, timeout: timeout)
        try connection.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + GRPCTestClient.frame(type: 0x4, flags: 0, stream: 0, payload: []))
    }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static func framedMessage(_ message: [UInt8]) -> [UInt8] {
        let length = message.count
        return [0, UInt8(length >> 24 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)] + message
    }

    /// Opens a stream for `method` (HEADERS), returning its ID.
    func open(_ method: EtcdMethod, metadata: [HeaderField] = [], path: String? = nil, endStream: Bool = false) throws -> UInt32 {
        let id = nextStreamID
        nextStreamID += 2
        var block: [UInt8] = []
        encoder.encode([HeaderField(":method", "POST"), HeaderField(":scheme", "http"),
                        HeaderField(":path", path ?? method.path), HeaderField(":authority", "127.0.0.1"),
                        HeaderField("content-type", "application/grpc"), HeaderField("te", "trailers")] + metadata,
                       into: &block)
        try connection.send(GRPCTestClient.frame(type: 0x1, flags: 0x4 | (endStream ? 0x1 : 0), stream: id, payload: block))
        return id
    }

    /// Sends one gRPC message on a stream.
    func send(_ stream: UInt32, _ message: [UInt8], endStream: Bool = false) throws {
        try connection.send(GRPCTestClient.frame(type: 0x0, flags: endStream ? 0x1 : 0, stream: stream,
                                                 payload: GRPCTestClient.framedMessage(message)))
    }

    /// Opens a stream with exactly `headers` (pseudo-headers first), for requests that are not gRPC.
    func open(headers: [HeaderField], endStream: Bool) throws -> UInt32 {
        let id = nextStreamID
        nextStreamID += 2
        try sendHeaders(id, headers, endStream: endStream)
        return id
    }

    /// Sends one header block (HEADERS with END_HEADERS) on a stream: a request's head, or trailers.
    func sendHeaders(_ stream: UInt32, _ headers: [HeaderField], endStream: Bool) throws {
        var block: [UInt8] = []
        encoder.encode(headers, into: &block)
        try connection.send(GRPCTestClient.frame(type: 0x1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, payload: block))
    }

    /// Sends bytes as DATA frames of at most 16 KiB (the default MAX_FRAME_SIZE), without gRPC's framing.
    func sendData(_ stream: UInt32, _ bytes: [UInt8], endStream: Bool) throws {
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + 16_384)
            let last = end == bytes.count
            try connection.send(GRPCTestClient.frame(type: 0x0, flags: last && endStream ? 0x1 : 0, stream: stream,
                                                     payload: Array(bytes[offset..<end])))
            offset = end
        } while offset < bytes.count
    }

    /// A plain HTTP answer on one stream (not gRPC): its header fields and its body.
    struct HTTPAnswer {
        var headers: [HeaderField] = []
        var body: [UInt8] = []
        var status: Int? { header(":status").flatMap { Int($0) } }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    }

    /// Reads `stream`'s HEADERS and DATA until the server ends it (other streams' frames are dropped);
    /// a RST_STREAM throws `Failure.reset`.
    func httpAnswer(_ stream: UInt32) throws -> HTTPAnswer {
        var answer = HTTPAnswer()
        while true {
            let frame = try nextFrame()
            if frame.type == 0x7 { throw Failure.goAway(0, String(decoding: frame.payload.dropFirst(8), as: UTF8.self)) }
            guard frame.stream == stream else { continue }
            switch frame.type {
            case 0x1:
                let fields = try headerBlock(frame)
                if answer.headers.isEmpty { answer.headers = fields } else { answer.headers += fields }
            case 0x0:
                answer.body += frame.payload
            case 0x3:
                throw Failure.reset(frame.stream, frame.payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
            default:
                continue
            }
            if frame.endStream { return answer }
        }
    }

    /// The fields of a header block that starts with `frame` (reading its CONTINUATIONs).
    func headerBlock(_ frame: Frame) throws -> [HeaderField] {
        var payload = frame.payload[...]
        var flags = frame.flags
        while flags & 0x4 == 0 {
            let next = try nextFrame()
            guard next.type == 0x9 else { throw Failure.unexpected("frame \(next.type) inside a header block") }
            payload += next.payload
            flags |= next.flags & 0x4
        }
        return try decoder.decode(payload)
    }

    /// Sends raw bytes (frames built by the test).
    func sendRaw(_ bytes: [UInt8]) throws { try connection.send(bytes) }

    /// The next frame that is not connection housekeeping (SETTINGS, PING and WINDOW_UPDATE are
    /// answered or ignored here).
    func nextFrame() throws -> Frame {
        while true {
            let head = try connection.bytes(9)
            let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
            let stream = UInt32(head[5] & 0x7f) << 24 | UInt32(head[6]) << 16 | UInt32(head[7]) << 8 | UInt32(head[8])
            let frame = Frame(type: head[3], flags: head[4], stream: stream, payload: try connection.bytes(length))
            switch frame.type {
            case 0x4 where frame.flags & 0x1 == 0:
                try connection.send(GRPCTestClient.frame(type: 0x4, flags: 0x1, stream: 0, payload: []))
            case 0x4, 0x8:
                continue
            case 0x6 where frame.flags & 0x1 == 0:
                try connection.send(GRPCTestClient.frame(type: 0x6, flags: 0x1, stream: 0, payload: frame.payload))
            case 0x6:
                continue
            case 0x0 where !frame.payload.isEmpty:
                // Give the window back for everything read.
                let increment = UInt32(frame.payload.count)
                let bytes: [UInt8] = [UInt8(increment >> 24), UInt8(increment >> 16 & 0xff), UInt8(increment >> 8 & 0xff), UInt8(increment & 0xff)]
                try connection.send(GRPCTestClient.frame(type: 0x8, flags: 0, stream: 0, payload: bytes)
                                    + GRPCTestClient.frame(type: 0x8, flags: 0, stream: frame.stream, payload: bytes))
                return frame
            default:
                return frame
            }
        }
    }

    /// What the server sent on `stream` until it ended the stream (other streams' frames are dropped).
    func finish(_ stream: UInt32, into call: inout Call) throws {
        while true {
            let frame = try nextFrame()
            if frame.type == 0x7 {
                let code = frame.payload.count >= 8 ? UInt32(frame.payload[4]) << 24 | UInt32(frame.payload[5]) << 16 | UInt32(frame.payload[6]) << 8 | UInt32(frame.payload[7]) : 0
                throw Failure.goAway(code, String(decoding: frame.payload.dropFirst(8), as: UTF8.self))
            }
            guard frame.stream == stream else { continue }
            if try absorb(frame, into: &call) { return }
        }
    }

    /// Reads frames of `stream` until one more message arrives (or the stream ends: nil).
    func nextMessage(_ stream: UInt32, call: inout Call) throws -> [UInt8]? {
        while true {
            let before = call.messages.count
            let frame = try nextFrame()
            guard frame.stream == stream else { continue }
            let ended = try absorb(frame, into: &call)
            if call.messages.count > before { return call.messages[before] }
            if ended { return nil }
        }
    }

    /// Adds a frame of the call; true when the stream ended.
    private func absorb(_ frame: Frame, into call: inout Call) throws -> Bool {
        switch frame.type {
        case 0x1:
            let fields = try headerBlock(frame)
            if call.headers.isEmpty { call.headers = fields } else { call.trailers = fields }
            return frame.endStream
        case 0x0:
            var buffer = partial[frame.stream, default: []] + frame.payload
            while buffer.count >= 5 {
                let length = Int(buffer[1]) << 24 | Int(buffer[2]) << 16 | Int(buffer[3]) << 8 | Int(buffer[4])
                guard buffer.count >= 5 + length else { break }
                call.messages.append(Array(buffer[5..<(5 + length)]))
                buffer.removeFirst(5 + length)
            }
            partial[frame.stream] = buffer
            return frame.endStream
        case 0x3:
            let code = frame.payload.count >= 4 ? UInt32(frame.payload[0]) << 24 | UInt32(frame.payload[1]) << 16 | UInt32(frame.payload[2]) << 8 | UInt32(frame.payload[3]) : 0
            throw Failure.reset(frame.stream, code)
        default:
            return false
        }
    }

    /// One unary call: the request message in, everything the server answered out.
    func unary(_ method: EtcdMethod, _ message: [UInt8], metadata: [HeaderField] = []) throws -> Call {
        let stream = try open(method, metadata: metadata)
        try send(stream, message, endStream: true)
        var call = Call()
        try finish(stream, into: &call)
        return call
    }

    /// A unary call of a typed request, through etcd's message for it.
    func unary(_ request: EtcdCall, metadata: [HeaderField] = []) throws -> Call {
        guard let (method, message) = EtcdWire.encodeRequest(request) else { throw Failure.unexpected("no message for \(request)") }
        return try unary(method, message, metadata: metadata)
    }
}
