import HPACK
import Testing
@testable import HTTP2

/// Drives an `HTTP2ServerConnection` the way a client would: feeds bytes, collects events, and parses
/// what the server wrote (decoding its header blocks with its own HPACK decoder, in order).
struct TestClient {
    var connection: HTTP2ServerConnection
    var decoder = HPACKDecoder(maxTableSize: 4096, maxHeaderListSize: 1 << 20)
    var encoder = HPACKEncoder()

    init(settings: HTTP2Settings = .init(), limits: HTTP2Limits = .init()) {
        connection = HTTP2ServerConnection(settings: settings, limits: limits)
    }

    /// A client after the preface exchange: preface + SETTINGS (+ the given parameters) sent, the
    /// server's preface taken, and our SETTINGS acknowledged.
    static func started(settings: HTTP2Settings = .init(), limits: HTTP2Limits = .init(),
                        clientSettings: [(UInt16, UInt32)] = []) throws -> TestClient {
        var client = TestClient(settings: settings, limits: limits)
        let events = client.send(HTTP2.clientPreface + FrameBuilder.settings(clientSettings) + FrameBuilder.settings(ack: true))
        #expect(events.isEmpty)
        let frames = try client.frames()
        try #require(frames.count == 3)
        #expect(frames[0].type == 0x4 && !frames[0].isAck)  // our SETTINGS
        #expect(frames[1].type == 0x8 && frames[1].stream == 0)  // connection window
        #expect(frames[2].type == 0x4 && frames[2].isAck)  // ACK of theirs
        return client
    }

    @discardableResult
    mutating func send(_ bytes: [UInt8]) -> [HTTP2Event] {
        bytes.withUnsafeBytes { connection.receive($0) }
    }

    mutating func send(_ chunks: [[UInt8]]) -> [HTTP2Event] {
        send(chunks.flatMap { $0 })
    }

    /// The server's output since the last call, as frames.
    mutating func frames() throws -> [ParsedFrame] {
        try #require(ParsedFrame.parse(connection.takeOutput()))
    }

    /// Decodes a header block the server wrote (HEADERS + CONTINUATION payloads joined).
    mutating func decode(_ block: [UInt8]) throws -> [HeaderField] {
        try decoder.decode(block[...])
    }

    /// Opens stream `id` with a gRPC-like request.
    @discardableResult
    mutating func open(_ id: UInt32, endStream: Bool = false, extra: [HeaderField] = []) -> [HTTP2Event] {
        send(FrameBuilder.headers(stream: id, block: FrameBuilder.encode(FrameBuilder.request(extra: extra)), endStream: endStream))
    }

    /// The single GOAWAY in `frames`, with its code.
    static func goAwayCode(_ frames: [ParsedFrame]) -> HTTP2ErrorCode? {
        frames.last(where: { $0.type == 0x7 }).map { HTTP2ErrorCode(wire: $0.goAwayCode) }
    }

    /// The RST_STREAM codes in `frames`, by stream.
    static func resets(_ frames: [ParsedFrame]) -> [UInt32: HTTP2ErrorCode] {
        var result: [UInt32: HTTP2ErrorCode] = [:]
        for frame in frames where frame.type == 0x3 { result[frame.stream] = HTTP2ErrorCode(wire: frame.firstWord) }
        return result
    }
}

extension HTTP2Event {
    /// The header list of a `.headers` event on `streamID` with that `endStream`, else nil.
    func headerList(streamID: UInt32, endStream: Bool) -> [HeaderField]? {
        if case .headers(streamID, let headers, endStream) = self { return headers }
        return nil
    }

    var connectionErrorCode: HTTP2ErrorCode? {
        if case .connectionError(let code, _) = self { return code }
        return nil
    }
}

