import HPACK
import Testing
@testable import HTTP2

/// Frames in each stream state (RFC 9113 §5.1): what is accepted, what is a stream error and what a
/// connection error.
@Suite struct StreamStateTests {
    enum Setup: String, Sendable, CaseIterable {
        /// Stream 3 never used (stream 1 is open, so 3 is idle).
        case idle
        /// Stream 1 after the request's END_STREAM.
        case halfClosedRemote
        /// Stream 1 after our END_STREAM (the request still sends).
        case halfClosedLocal
        /// Stream 1 after both END_STREAMs.
        case closed
        /// Stream 1 after the peer's RST_STREAM.
        case resetByPeer
        /// Stream 1 after the app reset it.
        case resetByUs
    }

    enum Outcome: Equatable, Sendable {
        case accepted
        case streamError(HTTP2ErrorCode)
        case connectionError(HTTP2ErrorCode)
        case ignored
    }

    struct Case: Sendable, CustomStringConvertible {
        var setup: Setup
        var frame: String
        var outcome: Outcome
        var description: String { "\(frame) on \(setup)" }
    }

    static let cases: [Case] = [
        Case(setup: .idle, frame: "DATA", outcome: .connectionError(.protocolError)),
        Case(setup: .idle, frame: "RST_STREAM", outcome: .connectionError(.protocolError)),
        Case(setup: .idle, frame: "WINDOW_UPDATE", outcome: .connectionError(.protocolError)),
        Case(setup: .idle, frame: "PRIORITY", outcome: .ignored),
        Case(setup: .idle, frame: "HEADERS", outcome: .accepted),
        Case(setup: .halfClosedRemote, frame: "DATA", outcome: .streamError(.streamClosed)),
        Case(setup: .halfClosedRemote, frame: "HEADERS", outcome: .streamError(.streamClosed)),
        Case(setup: .halfClosedRemote, frame: "WINDOW_UPDATE", outcome: .ignored),
        Case(setup: .halfClosedRemote, frame: "PRIORITY", outcome: .ignored),
        Case(setup: .halfClosedRemote, frame: "RST_STREAM", outcome: .accepted),
        Case(setup: .halfClosedLocal, frame: "DATA", outcome: .accepted),
        Case(setup: .halfClosedLocal, frame: "HEADERS", outcome: .accepted),
        Case(setup: .halfClosedLocal, frame: "WINDOW_UPDATE", outcome: .ignored),
        Case(setup: .halfClosedLocal, frame: "RST_STREAM", outcome: .accepted),
        Case(setup: .closed, frame: "DATA", outcome: .streamError(.streamClosed)),
        Case(setup: .closed, frame: "HEADERS", outcome: .connectionError(.streamClosed)),
        Case(setup: .closed, frame: "WINDOW_UPDATE", outcome: .ignored),
        Case(setup: .closed, frame: "PRIORITY", outcome: .ignored),
        Case(setup: .closed, frame: "RST_STREAM", outcome: .ignored),
        Case(setup: .resetByPeer, frame: "DATA", outcome: .streamError(.streamClosed)),
        Case(setup: .resetByPeer, frame: "HEADERS", outcome: .connectionError(.streamClosed)),
        Case(setup: .resetByPeer, frame: "WINDOW_UPDATE", outcome: .ignored),
        Case(setup: .resetByUs, frame: "DATA", outcome: .ignored),
        Case(setup: .resetByUs, frame: "HEADERS", outcome: .ignored),
        Case(setup: .resetByUs, frame: "WINDOW_UPDATE", outcome: .ignored),
        Case(setup: .resetByUs, frame: "RST_STREAM", outcome: .ignored),
    ]

    static func frame(_ name: String, stream: UInt32) -> [UInt8] {
        switch name {
        case "DATA": FrameBuilder.data(stream: stream, [1, 2, 3])
        // Trailers (END_STREAM) on a known stream, a request on an idle one.
        case "HEADERS": FrameBuilder.headers(stream: stream, block: FrameBuilder.encode(stream == 3 ? FrameBuilder.request() : [HeaderField("grpc-status", "0")]), endStream: true)
        case "WINDOW_UPDATE": FrameBuilder.windowUpdate(stream: stream, 100)
        case "PRIORITY": FrameBuilder.priority(stream: stream, dependsOn: 0)
        case "RST_STREAM": FrameBuilder.rstStream(stream: stream, 0x8)
        default: []
        }
    }

    @Test(arguments: cases)
    func frameInState(_ test: Case) throws {
        var client = try TestClient.started()
        client.open(1, endStream: test.setup == .halfClosedRemote || test.setup == .closed)
        switch test.setup {
        case .idle, .halfClosedRemote: break
        case .halfClosedLocal, .closed:
            client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: true)
        case .resetByPeer:
            _ = client.send(FrameBuilder.rstStream(stream: 1))
        case .resetByUs:
            client.connection.resetStream(streamID: 1, code: .cancel)
        }
        let expectedState: StreamState = switch test.setup {
        case .idle: .open
        case .halfClosedRemote: .halfClosedRemote
        case .halfClosedLocal: .halfClosedLocal
        case .closed, .resetByPeer, .resetByUs: .closed
        }
        #expect(client.connection.streamState(1) == expectedState)
        _ = try client.frames()
        let stream: UInt32 = test.setup == .idle ? 3 : 1
        let events = client.send(Self.frame(test.frame, stream: stream))
        let frames = try client.frames()
        switch test.outcome {
        case .accepted:
            #expect(events.count == 1, "\(events)")
            #expect(!frames.contains { $0.type == 0x3 || $0.type == 0x7 })
        case .ignored:
            #expect(events.isEmpty, "\(events)")
            #expect(!frames.contains { $0.type == 0x3 || $0.type == 0x7 })
        case .streamError(let code):
            #expect(TestClient.resets(frames) == [stream: code])
            #expect(!client.connection.isClosed)
            let known = test.setup == .halfClosedRemote || test.setup == .halfClosedLocal
            #expect(events == (known ? [.streamReset(streamID: stream, code: code)] : []))
        case .connectionError(let code):
            #expect(events.first?.connectionErrorCode == code)
            #expect(TestClient.goAwayCode(frames) == code)
        }
    }

    @Test func streamIdsMustIncrease() throws {
        var client = try TestClient.started()
        client.open(5, endStream: true)
        let events = client.open(3)
        #expect(events.first?.connectionErrorCode == .protocolError)
    }

    @Test func requestLifecycle() throws {
        var client = try TestClient.started()
        let opened = client.open(1)
        #expect(opened == [.headers(streamID: 1, headers: FrameBuilder.request(), endStream: false)])
        #expect(client.connection.streamState(1) == .open)
        #expect(client.connection.streamState(3) == .idle)
        let data = client.send(FrameBuilder.data(stream: 1, [1, 2, 3], endStream: true))
        #expect(data == [.data(streamID: 1, bytes: [1, 2, 3], endStream: true)])
        #expect(client.connection.streamState(1) == .halfClosedRemote)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: false)
        client.connection.sendData(streamID: 1, bytes: [9, 9], endStream: false)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField("grpc-status", "0")], endStream: true)
        #expect(client.connection.streamState(1) == .closed)
        #expect(client.connection.activeStreams == 0)
        let frames = try client.frames()
        #expect(frames.map(\.type) == [0x1, 0x0, 0x1])
        #expect(try client.decode(frames[0].payload) == [HeaderField(":status", "200")])
        #expect(frames[1].payload == [9, 9] && !frames[1].endStream)
        #expect(try client.decode(frames[2].payload) == [HeaderField("grpc-status", "0")])
        #expect(frames[2].endStream && frames[2].endHeaders)
        // Sending on the closed stream is ignored.
        client.connection.sendData(streamID: 1, bytes: [1], endStream: true)
        #expect(!client.connection.hasOutput)
    }

    @Test func trailersFromTheClientEndTheStream() throws {
        var client = try TestClient.started()
        client.open(1)
        _ = client.send(FrameBuilder.data(stream: 1, [1]))
        let trailers = [HeaderField("x-checksum", "abc")]
        let events = client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode(trailers), endStream: true))
        #expect(events == [.headers(streamID: 1, headers: trailers, endStream: true)])
        #expect(client.connection.streamState(1) == .halfClosedRemote)
    }

    @Test func dataInFlightAfterOurResetIsIgnoredButReturnsConnectionWindow() throws {
        var client = try TestClient.started()
        client.open(1)
        client.connection.resetStream(streamID: 1, code: .cancel)
        #expect(TestClient.resets(try client.frames()) == [1: .cancel])
        let before = client.connection.connectionReceiveState
        #expect(client.send(FrameBuilder.data(stream: 1, Array(repeating: 0, count: 1000))).isEmpty)
        let after = client.connection.connectionReceiveState
        #expect(after.window == before.window - 1000 && after.pending == before.pending + 1000)
        #expect(!client.connection.hasOutput)
    }

    @Test func closedStreamsAreForgottenAfterManyMore() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: true)
        // Push stream 1 out of the bounded memory of closed streams.
        for id in stride(from: UInt32(3), to: 3 + 2 * UInt32(RecentlyClosedStreams.capacity) + 2, by: 2) {
            client.open(id, endStream: true)
            client.connection.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: true)
        }
        _ = try client.frames()
        // A HEADERS on stream 1 now reads as a decreasing stream id.
        #expect(client.open(1).first?.connectionErrorCode == .protocolError)
    }
}
