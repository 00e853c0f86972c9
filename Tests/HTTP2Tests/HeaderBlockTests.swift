import HPACK
import Testing
@testable import HTTP2

@Suite struct HeaderBlockTests {
    @Test func headersWithPaddingAndPriority() throws {
        var client = try TestClient.started()
        let block = FrameBuilder.encode(FrameBuilder.request())
        let events = client.send(FrameBuilder.headers(stream: 1, block: block, padding: 17, priority: 0))
        #expect(events == [.headers(streamID: 1, headers: FrameBuilder.request(), endStream: false)])
        #expect(!client.connection.hasOutput)
    }

    @Test func headersWithContinuations() throws {
        var client = try TestClient.started()
        let block = FrameBuilder.encode(FrameBuilder.request(extra: [HeaderField("x-long", String(repeating: "v", count: 3000))]))
        let third = block.count / 3
        let events = client.send([
            FrameBuilder.headers(stream: 1, block: Array(block[..<third]), endStream: true, endHeaders: false, padding: 4),
            FrameBuilder.continuation(stream: 1, block: Array(block[third..<(2 * third)]), endHeaders: false),
            FrameBuilder.continuation(stream: 1, block: [], endHeaders: false),
            FrameBuilder.continuation(stream: 1, block: Array(block[(2 * third)...]), endHeaders: true),
        ])
        try #require(events.count == 1)
        let headers = try #require(events[0].headerList(streamID: 1, endStream: true))
        #expect(headers.last?.value.utf8.count == 3000)
    }

    struct Interruption: Sendable, CustomStringConvertible {
        var name: String
        var frame: [UInt8]
        var description: String { name }
    }

    static let interruptions: [Interruption] = [
        Interruption(name: "PING", frame: FrameBuilder.ping()),
        Interruption(name: "DATA on the same stream", frame: FrameBuilder.data(stream: 1, [1])),
        Interruption(name: "CONTINUATION on another stream", frame: FrameBuilder.continuation(stream: 3, block: [])),
        Interruption(name: "HEADERS on another stream", frame: FrameBuilder.headers(stream: 3, block: FrameBuilder.encode(FrameBuilder.request()))),
        Interruption(name: "unknown frame type", frame: FrameBuilder.frame(0xbb, stream: 0, [])),
        Interruption(name: "PRIORITY", frame: FrameBuilder.priority(stream: 1)),
    ]

    @Test(arguments: interruptions)
    func nothingMayComeBetweenHeadersAndContinuation(_ interruption: Interruption) throws {
        var client = try TestClient.started()
        let block = FrameBuilder.encode(FrameBuilder.request())
        #expect(client.send(FrameBuilder.headers(stream: 1, block: Array(block.prefix(3)), endHeaders: false)).isEmpty)
        let events = client.send(interruption.frame)
        #expect(events.first?.connectionErrorCode == .protocolError)
    }

    struct Malformed: Sendable, CustomStringConvertible {
        var name: String
        var headers: [HeaderField]
        var description: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "upper-case name", headers: FrameBuilder.request(extra: [HeaderField("X-Upper", "1")])),
        Malformed(name: "pseudo-header after a regular one",
                  headers: [HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField("a", "b"), HeaderField(":path", "/")]),
        Malformed(name: "unknown pseudo-header", headers: [HeaderField(":status", "200")] + FrameBuilder.request()),
        Malformed(name: "duplicate :path", headers: [HeaderField(":path", "/a")] + FrameBuilder.request()),
        Malformed(name: "missing :path", headers: [HeaderField(":method", "POST"), HeaderField(":scheme", "http")]),
        Malformed(name: "missing :method", headers: [HeaderField(":path", "/"), HeaderField(":scheme", "http")]),
        Malformed(name: "empty :path", headers: [HeaderField(":method", "GET"), HeaderField(":scheme", "http"), HeaderField(":path", "")]),
        Malformed(name: "connection header", headers: FrameBuilder.request(extra: [HeaderField("connection", "keep-alive")])),
        Malformed(name: "transfer-encoding", headers: FrameBuilder.request(extra: [HeaderField("transfer-encoding", "chunked")])),
        Malformed(name: "te other than trailers", headers: [HeaderField(":method", "GET"), HeaderField(":scheme", "http"), HeaderField(":path", "/"), HeaderField("te", "gzip")]),
        Malformed(name: "CR in a value", headers: FrameBuilder.request(extra: [HeaderField("x", "a\rb")])),
        Malformed(name: "space in a name", headers: FrameBuilder.request(extra: [HeaderField("x y", "1")])),
        Malformed(name: "bad content-length", headers: FrameBuilder.request(extra: [HeaderField("content-length", "12a")])),
        Malformed(name: "CONNECT with :path", headers: [HeaderField(":method", "CONNECT"), HeaderField(":authority", "a:1"), HeaderField(":path", "/")]),
    ]

    @Test(arguments: malformed)
    func malformedRequestsAreResetWithoutAnEvent(_ test: Malformed) throws {
        var client = try TestClient.started()
        let events = client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode(test.headers)))
        #expect(events.isEmpty, "\(events)")
        #expect(TestClient.resets(try client.frames()) == [1: .protocolError])
        #expect(!client.connection.isClosed)
        // The connection goes on.
        #expect(client.open(3).count == 1)
    }

    @Test func connectRequestsNeedOnlyAuthority() throws {
        var client = try TestClient.started()
        let headers = [HeaderField(":method", "CONNECT"), HeaderField(":authority", "example.com:443")]
        #expect(client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode(headers))).count == 1)
    }

    @Test func malformedTrailers() throws {
        var client = try TestClient.started()
        client.open(1)
        client.open(3)
        let pseudo = client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode([HeaderField(":path", "/")]), endStream: true))
        #expect(pseudo == [.streamReset(streamID: 1, code: .protocolError)])
        let noEnd = client.send(FrameBuilder.headers(stream: 3, block: FrameBuilder.encode([HeaderField("a", "b")]), endStream: false))
        #expect(noEnd == [.streamReset(streamID: 3, code: .protocolError)])
        #expect(TestClient.resets(try client.frames()) == [1: .protocolError, 3: .protocolError])
    }

    @Test func contentLengthMustMatchTheData() throws {
        var client = try TestClient.started()
        client.open(1, extra: [HeaderField("content-length", "3")])
        #expect(client.send(FrameBuilder.data(stream: 1, [1, 2], endStream: true)) == [.streamReset(streamID: 1, code: .protocolError)])
        client.open(3, extra: [HeaderField("content-length", "3")])
        #expect(client.send(FrameBuilder.data(stream: 3, [1, 2, 3, 4])) == [.streamReset(streamID: 3, code: .protocolError)])
        client.open(5, extra: [HeaderField("content-length", "3")])
        #expect(client.send(FrameBuilder.data(stream: 5, [1, 2, 3], endStream: true)) == [.data(streamID: 5, bytes: [1, 2, 3], endStream: true)])
    }

    @Test func selfDependentHeadersAreAStreamError() throws {
        var client = try TestClient.started()
        let events = client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode(FrameBuilder.request()), priority: 1))
        #expect(events.isEmpty)
        #expect(TestClient.resets(try client.frames()) == [1: .protocolError])
    }

    @Test func largeResponseHeadersAreSplitIntoContinuations() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        _ = try client.frames()
        let big = [HeaderField(":status", "200")] + (0..<8).map { HeaderField("x-big-\($0)", String(repeating: "q", count: 5000)) }
        client.connection.sendHeaders(streamID: 1, headers: big, endStream: true)
        let frames = try client.frames()
        #expect(frames.count >= 3)
        #expect(frames[0].type == 0x1 && frames[0].endStream && !frames[0].endHeaders)
        #expect(frames.dropFirst().allSatisfy { $0.type == 0x9 && $0.stream == 1 })
        #expect(frames.dropLast().allSatisfy { !$0.endHeaders } && frames.last!.endHeaders)
        #expect(frames.allSatisfy { $0.payload.count <= 16_384 })
        #expect(try client.decode(frames.flatMap(\.payload)) == big)
    }

    @Test func compressionErrorEndsTheConnection() throws {
        var client = try TestClient.started()
        // An indexed field with index 0 / a truncated literal: malformed in any HPACK decoder.
        let events = client.send(FrameBuilder.headers(stream: 1, block: [0x00, 0x05, 0x61]))
        #expect(events.first?.connectionErrorCode == .compressionError)
    }
}
