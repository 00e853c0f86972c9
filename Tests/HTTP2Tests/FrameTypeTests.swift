import HPACK
import Testing
@testable import HTTP2

/// Each frame type's validation (RFC 9113 §6), table-driven: the frame, and the connection error it
/// must end in (or nil when it is accepted without events).
@Suite struct FrameTypeTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// Sent after stream 1 was opened (HEADERS without END_STREAM).
        var frame: [UInt8]
        var connectionError: HTTP2ErrorCode?
        var description: String { name }
    }

    static let block = FrameBuilder.encode(FrameBuilder.request())

    static let cases: [Case] = [
        Case(name: "DATA on stream 0", frame: FrameBuilder.data(stream: 0, [1]), connectionError: .protocolError),
        Case(name: "DATA padding = payload length", frame: FrameBuilder.frame(0x0, flags: 0x8, stream: 1, [3, 0, 0]), connectionError: .protocolError),
        Case(name: "DATA padded, empty payload", frame: FrameBuilder.frame(0x0, flags: 0x8, stream: 1, []), connectionError: .protocolError),
        Case(name: "HEADERS on stream 0", frame: FrameBuilder.headers(stream: 0, block: block), connectionError: .protocolError),
        Case(name: "HEADERS on an even stream", frame: FrameBuilder.headers(stream: 2, block: block), connectionError: .protocolError),
        Case(name: "HEADERS padding too long", frame: FrameBuilder.frame(0x1, flags: 0xc, stream: 3, [10, 1, 2]), connectionError: .protocolError),
        Case(name: "HEADERS too short for priority", frame: FrameBuilder.frame(0x1, flags: 0x24, stream: 3, [0, 0, 1]), connectionError: .frameSizeError),
        Case(name: "PRIORITY on stream 0", frame: FrameBuilder.priority(stream: 0), connectionError: .protocolError),
        Case(name: "PRIORITY on an idle stream", frame: FrameBuilder.priority(stream: 9, dependsOn: 1), connectionError: nil),
        Case(name: "RST_STREAM on stream 0", frame: FrameBuilder.rstStream(stream: 0), connectionError: .protocolError),
        Case(name: "RST_STREAM of 3 octets", frame: FrameBuilder.frame(0x3, stream: 1, [0, 0, 0]), connectionError: .frameSizeError),
        Case(name: "RST_STREAM on an idle stream", frame: FrameBuilder.rstStream(stream: 5), connectionError: .protocolError),
        Case(name: "PUSH_PROMISE", frame: FrameBuilder.frame(0x5, flags: 0x4, stream: 1, [0, 0, 0, 2]), connectionError: .protocolError),
        Case(name: "PING on a stream", frame: FrameBuilder.ping(stream: 1), connectionError: .protocolError),
        Case(name: "PING of 7 octets", frame: FrameBuilder.frame(0x6, stream: 0, [1, 2, 3, 4, 5, 6, 7]), connectionError: .frameSizeError),
        Case(name: "PING ACK", frame: FrameBuilder.ping(ack: true), connectionError: nil),
        Case(name: "GOAWAY on a stream", frame: FrameBuilder.frame(0x7, stream: 1, [0, 0, 0, 0, 0, 0, 0, 0]), connectionError: .protocolError),
        Case(name: "GOAWAY of 7 octets", frame: FrameBuilder.frame(0x7, stream: 0, [0, 0, 0, 0, 0, 0, 0]), connectionError: .frameSizeError),
        Case(name: "WINDOW_UPDATE of 3 octets", frame: FrameBuilder.frame(0x8, stream: 0, [0, 0, 1]), connectionError: .frameSizeError),
        Case(name: "WINDOW_UPDATE 0 on the connection", frame: FrameBuilder.windowUpdate(stream: 0, 0), connectionError: .protocolError),
        Case(name: "WINDOW_UPDATE overflowing the connection", frame: FrameBuilder.windowUpdate(stream: 0, 0x7fff_ffff), connectionError: .flowControlError),
        Case(name: "WINDOW_UPDATE on an idle stream", frame: FrameBuilder.windowUpdate(stream: 7, 1), connectionError: .protocolError),
        Case(name: "CONTINUATION without HEADERS", frame: FrameBuilder.continuation(stream: 1, block: []), connectionError: .protocolError),
        Case(name: "unknown frame type", frame: FrameBuilder.frame(0xfa, flags: 0xff, stream: 0, [1, 2, 3]), connectionError: nil),
        Case(name: "unknown frame type on a stream", frame: FrameBuilder.frame(0x20, stream: 99, [1]), connectionError: nil),
        Case(name: "frame above MAX_FRAME_SIZE", frame: FrameBuilder.frame(0x0, stream: 1, [], length: 16_385), connectionError: .frameSizeError),
        Case(name: "reserved bit in the stream id", frame: FrameBuilder.frame(0x8, stream: 0x8000_0001, FrameBuilder.be32(1)), connectionError: nil),
    ]

    @Test(arguments: cases)
    func frameValidation(_ test: Case) throws {
        var client = try TestClient.started()
        let opened = client.open(1)
        #expect(opened.count == 1)
        let events = client.send(test.frame)
        let frames = try client.frames()
        if let code = test.connectionError {
            #expect(events.count == 1 && events.first?.connectionErrorCode == code, "\(events)")
            #expect(TestClient.goAwayCode(frames) == code)
            let goAway = try #require(frames.last)
            #expect(goAway.firstWord == 1, "GOAWAY names the last stream processed")
            #expect(client.connection.isClosed)
        } else {
            #expect(events.isEmpty, "\(events)")
            #expect(frames.allSatisfy { $0.type != 0x7 && $0.type != 0x3 }, "\(frames)")
            #expect(!client.connection.isClosed)
        }
    }

    @Test func pingIsAnsweredWithTheSameOpaqueData() throws {
        var client = try TestClient.started()
        #expect(client.send(FrameBuilder.ping([9, 8, 7, 6, 5, 4, 3, 2])).isEmpty)
        let frames = try client.frames()
        #expect(frames == [ParsedFrame(type: 0x6, flags: 0x1, stream: 0, payload: [9, 8, 7, 6, 5, 4, 3, 2])])
    }

    @Test func priorityWithSelfDependencyIsAStreamError() throws {
        var client = try TestClient.started()
        client.open(1)
        let events = client.send(FrameBuilder.priority(stream: 1, dependsOn: 1))
        #expect(events == [.streamReset(streamID: 1, code: .protocolError)])
        #expect(TestClient.resets(try client.frames()) == [1: .protocolError])
    }

    @Test func priorityOfWrongLengthIsAStreamFrameSizeError() throws {
        var client = try TestClient.started()
        client.open(1)
        let events = client.send(FrameBuilder.frame(0x2, stream: 1, [0, 0, 0, 0]))
        #expect(events == [.streamReset(streamID: 1, code: .frameSizeError)])
        #expect(TestClient.resets(try client.frames()) == [1: .frameSizeError])
        #expect(!client.connection.isClosed)
    }

    @Test func goAwayFromThePeerIsReported() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        let events = client.send(FrameBuilder.goAway(lastStreamID: 0, 0))
        #expect(events == [.goAway(lastStreamID: 0, code: .noError)])
        #expect(!client.connection.isClosed, "stream 1 still waits for its response")
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: true)
        #expect(client.connection.isClosed)
    }

    @Test func unknownErrorCodesReadAsInternalError() throws {
        var client = try TestClient.started()
        client.open(1)
        #expect(client.send(FrameBuilder.rstStream(stream: 1, 0xdead)) == [.streamReset(streamID: 1, code: .internalError)])
    }

    @Test func oversizedFrameIsRefusedFromItsHeaderAlone() throws {
        var client = try TestClient.started()
        // Only the 9-octet header of a 1 MiB DATA frame: the error comes before any payload.
        let events = client.send(Array(FrameBuilder.frame(0x0, stream: 1, [], length: 1 << 20).prefix(9)))
        #expect(events.first?.connectionErrorCode == .frameSizeError)
        // Split header too.
        var split = try TestClient.started()
        let header = FrameBuilder.frame(0x0, stream: 1, [], length: 20_000)
        #expect(split.send(Array(header.prefix(4))).isEmpty)
        #expect(split.send(Array(header.suffix(5))).first?.connectionErrorCode == .frameSizeError)
    }

    @Test func largerMaxFrameSizeOfOursIsAccepted() throws {
        var settings = HTTP2Settings()
        settings.maxFrameSize = 65_536
        var client = try TestClient.started(settings: settings)
        client.open(1)
        let events = client.send(FrameBuilder.data(stream: 1, Array(repeating: 7, count: 60_000)))
        #expect(events == [.data(streamID: 1, bytes: Array(repeating: 7, count: 60_000), endStream: false)])
    }
}
