import HPACK
import Testing
@testable import HTTP2

@Suite struct FlowControlTests {
    static let ok = [HeaderField(":status", "200")]

    /// A client with stream 1 open and half-closed (request done), its output taken.
    static func withRequest(clientSettings: [(UInt16, UInt32)] = []) throws -> TestClient {
        var client = try TestClient.started(clientSettings: clientSettings)
        client.open(1, endStream: true)
        _ = try client.frames()
        return client
    }

    @Test func largeResponseIsSplitByWindowAndFrameSizeAndResumedByWindowUpdates() throws {
        var client = try Self.withRequest()
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        client.connection.sendHeaders(streamID: 1, headers: Self.ok, endStream: false)
        client.connection.sendData(streamID: 1, bytes: body, endStream: false)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField("grpc-status", "0")], endStream: true)
        var frames = try client.frames()
        // HEADERS, then 65,535 octets of DATA in frames of at most 16,384; the trailers wait behind the data.
        #expect(frames.first?.type == 0x1)
        var dataFrames = frames.filter { $0.type == 0x0 }
        #expect(dataFrames.map(\.payload.count) == [16_384, 16_384, 16_384, 16_383])
        #expect(!frames.contains { $0.type == 0x1 && $0.endStream })
        #expect(client.connection.queuedBytes(streamID: 1) == 200_000 - 65_535)
        var received = dataFrames.flatMap(\.payload)

        // Opening only the stream window sends nothing (the connection window is used up).
        #expect(client.send(FrameBuilder.windowUpdate(stream: 1, 100_000)).isEmpty)
        #expect(try client.frames().isEmpty)
        // Opening the connection window lets 100,000 out.
        #expect(client.send(FrameBuilder.windowUpdate(stream: 0, 1_000_000)).isEmpty)
        frames = try client.frames()
        dataFrames = frames.filter { $0.type == 0x0 }
        #expect(dataFrames.reduce(0) { $0 + $1.payload.count } == 100_000)
        #expect(dataFrames.allSatisfy { $0.payload.count <= 16_384 && !$0.endStream })
        received += dataFrames.flatMap(\.payload)
        #expect(client.connection.queuedBytes(streamID: 1) == 200_000 - 165_535)

        // The rest, with the trailers after it. No `drained`: END_STREAM was queued, nothing more to produce.
        #expect(client.send(FrameBuilder.windowUpdate(stream: 1, 1_000_000)).isEmpty)
        frames = try client.frames()
        received += frames.filter { $0.type == 0x0 }.flatMap(\.payload)
        #expect(received == body)
        #expect(frames.last?.type == 0x1 && frames.last?.endStream == true)
        #expect(try client.decode(frames.last!.payload) == [HeaderField("grpc-status", "0")])
        #expect(client.connection.queuedBytes(streamID: 1) == 0)
        #expect(client.connection.streamState(1) == .closed)
    }

    @Test func drainedIsEmittedWhenWaitingDataHasAllGoneOut() throws {
        var client = try Self.withRequest()
        client.connection.sendHeaders(streamID: 1, headers: Self.ok, endStream: false)
        client.connection.sendData(streamID: 1, bytes: Array(repeating: 1, count: 70_000), endStream: false)
        #expect(client.connection.queuedBytes(streamID: 1) == 70_000 - 65_535)
        let events = client.send([FrameBuilder.windowUpdate(stream: 0, 10_000), FrameBuilder.windowUpdate(stream: 1, 10_000)])
        #expect(events == [.drained(streamID: 1)])
        #expect(client.connection.queuedBytes(streamID: 1) == 0)
        // Data that fits at once owes no `drained`.
        client.connection.sendData(streamID: 1, bytes: [1, 2, 3], endStream: false)
        #expect(client.send(FrameBuilder.windowUpdate(stream: 0, 10)).isEmpty)
    }

    @Test func peerMaxFrameSizeIsRespected() throws {
        var client = try Self.withRequest(clientSettings: [(0x5, 100_000), (0x4, 1_000_000)])
        _ = client.send(FrameBuilder.windowUpdate(stream: 0, 1_000_000))
        client.connection.sendHeaders(streamID: 1, headers: Self.ok, endStream: false)
        client.connection.sendData(streamID: 1, bytes: Array(repeating: 2, count: 250_000), endStream: true)
        let frames = try client.frames().filter { $0.type == 0x0 }
        #expect(frames.map(\.payload.count) == [100_000, 100_000, 50_000])
        #expect(frames.last?.endStream == true)
    }

    @Test func initialWindowSizeChangeAppliesToOpenStreamsAndMayGoNegative() throws {
        var client = try Self.withRequest()
        client.open(3, endStream: true)
        _ = client.send(FrameBuilder.windowUpdate(stream: 0, 1_000_000))
        client.connection.sendHeaders(streamID: 1, headers: Self.ok, endStream: false)
        client.connection.sendData(streamID: 1, bytes: Array(repeating: 3, count: 65_535), endStream: false)
        #expect(client.connection.sendWindow(1) == 0)
        #expect(client.connection.sendWindow(3) == 65_535)
        // Lower the initial window to 16,384: stream 1 goes to -49,151, stream 3 to 16,384.
        _ = client.send(FrameBuilder.settings([(0x4, 16_384)]))
        #expect(client.connection.sendWindow(1) == -49_151)
        #expect(client.connection.sendWindow(3) == 16_384)
        _ = try client.frames()
        client.connection.sendData(streamID: 1, bytes: [7, 7], endStream: true)
        #expect(try client.frames().isEmpty)
        // 49,151 brings it to 0: still nothing. One more octet of window lets one octet out.
        #expect(client.send(FrameBuilder.windowUpdate(stream: 1, 49_151)).isEmpty)
        #expect(try client.frames().isEmpty)
        _ = client.send(FrameBuilder.windowUpdate(stream: 1, 1))
        var frames = try client.frames()
        #expect(frames.map(\.payload) == [[7]] && !frames[0].endStream)
        // Raising the initial window opens it again and sends the rest.
        _ = client.send(FrameBuilder.settings([(0x4, 65_535)]))
        frames = try client.frames()
        #expect(frames.contains { $0.type == 0x0 && $0.payload == [7] && $0.endStream })
        // A raise that overflows a stream window is a connection error.
        _ = client.send(FrameBuilder.windowUpdate(stream: 3, 0x7fff_0000))
        let events = client.send(FrameBuilder.settings([(0x4, 0x7fff_ffff)]))
        #expect(events.first?.connectionErrorCode == .flowControlError)
    }

    @Test func streamWindowUpdateErrors() throws {
        var client = try Self.withRequest()
        client.open(3)
        #expect(client.send(FrameBuilder.windowUpdate(stream: 1, 0)) == [.streamReset(streamID: 1, code: .protocolError)])
        #expect(client.send(FrameBuilder.windowUpdate(stream: 3, 0x7fff_ffff)) == [.streamReset(streamID: 3, code: .flowControlError)])
        #expect(TestClient.resets(try client.frames()) == [1: .protocolError, 3: .flowControlError])
        #expect(!client.connection.isClosed)
    }

    @Test func windowUpdatesAreSentBackInBatchesAsDataIsConsumed() throws {
        var client = try TestClient.started()
        client.open(1)
        _ = try client.frames()
        let chunk = Array(repeating: UInt8(5), count: 16_384)
        var delivered = 0
        for _ in 0..<40 {  // 640 KiB
            let events = client.send(FrameBuilder.data(stream: 1, chunk))
            #expect(events.count == 1)
            delivered += chunk.count
            client.connection.consumed(streamID: 1, count: chunk.count)
        }
        let frames = try client.frames()
        #expect(frames.allSatisfy { $0.type == 0x8 })
        // Half of each 1 MiB window: one update each once 512 KiB were consumed — not 40 of them.
        let updates = frames.map { ($0.stream, $0.firstWord) }
        #expect(updates.count == 2)
        #expect(updates.contains { $0.0 == 0 && $0.1 == 32 * 16_384 })
        #expect(updates.contains { $0.0 == 1 && $0.1 == 32 * 16_384 })
        #expect(delivered == 40 * 16_384)
    }

    @Test func unconsumedDataBoundsWhatThePeerMaySend() throws {
        var client = try TestClient.started()
        client.open(1)
        let chunk = Array(repeating: UInt8(5), count: 16_384)
        for _ in 0..<64 { _ = client.send(FrameBuilder.data(stream: 1, chunk)) }  // exactly 1 MiB, never consumed
        #expect(try client.frames().isEmpty, "no WINDOW_UPDATE without consumption")
        // One more octet overruns the stream window and the connection window: the connection check comes first.
        let events = client.send(FrameBuilder.data(stream: 1, [1]))
        #expect(events.first?.connectionErrorCode == .flowControlError)
    }

    @Test func streamWindowOverrunIsAStreamError() throws {
        var settings = HTTP2Settings()
        settings.initialWindowSize = 1000
        var client = try TestClient.started(settings: settings)
        client.open(1)
        #expect(client.send(FrameBuilder.data(stream: 1, Array(repeating: 0, count: 1000))).count == 1)
        #expect(client.send(FrameBuilder.data(stream: 1, [0])) == [.streamReset(streamID: 1, code: .flowControlError)])
        #expect(TestClient.resets(try client.frames()) == [1: .flowControlError])
        // The connection window got its octets back (pending credit), the connection lives.
        #expect(!client.connection.isClosed)
    }

    @Test func paddingCountsAgainstFlowControlAndIsReturnedAtOnce() throws {
        var settings = HTTP2Settings()
        settings.initialWindowSize = 1000
        var client = try TestClient.started(settings: settings)
        client.open(1)
        _ = try client.frames()
        // 1 + 10 + 255 = 266 octets of window for 10 octets of data.
        let events = client.send(FrameBuilder.data(stream: 1, Array(repeating: 1, count: 10), padding: 255))
        #expect(events == [.data(streamID: 1, bytes: Array(repeating: 1, count: 10), endStream: false)])
        let before = client.connection.connectionReceiveState
        #expect(before.pending == 256)
        // Another padded frame crosses half the stream window (500): a stream WINDOW_UPDATE for the padding.
        _ = client.send(FrameBuilder.data(stream: 1, [], padding: 255))
        let frames = try client.frames()
        #expect(frames.map(\.stream) == [1] && frames[0].firstWord == 512)
    }

    @Test func consumedForClosedStreamsIsIgnoredAndItsDataReturnedOnClose() throws {
        var client = try TestClient.started()
        client.open(1)
        _ = client.send(FrameBuilder.data(stream: 1, Array(repeating: 0, count: 3000)))
        #expect(client.connection.connectionReceiveState.pending == 0)
        _ = client.send(FrameBuilder.rstStream(stream: 1))
        #expect(client.connection.connectionReceiveState.pending == 3000)
        client.connection.consumed(streamID: 1, count: 3000)
        #expect(client.connection.connectionReceiveState.pending == 3000)
        // More than was delivered is clamped.
        client.open(3)
        _ = client.send(FrameBuilder.data(stream: 3, [1, 2, 3]))
        client.connection.consumed(streamID: 3, count: 1_000_000)
        #expect(client.connection.connectionReceiveState.pending == 3003)
    }

    @Test func emptyEndStreamGoesOutWithAZeroWindow() throws {
        var client = try Self.withRequest(clientSettings: [(0x4, 0)])
        client.connection.sendHeaders(streamID: 1, headers: Self.ok, endStream: false)
        client.connection.sendData(streamID: 1, bytes: [UInt8](), endStream: true)
        let frames = try client.frames()
        #expect(frames.map(\.type) == [0x1, 0x0] && frames[1].endStream && frames[1].payload.isEmpty)
    }

    @Test func manyStreamsShareTheConnectionWindowRoundRobin() throws {
        var client = try TestClient.started()
        for id in stride(from: UInt32(1), through: 9, by: 2) { client.open(id, endStream: true) }
        for id in stride(from: UInt32(1), through: 9, by: 2) {
            client.connection.sendHeaders(streamID: id, headers: Self.ok, endStream: false)
            client.connection.sendData(streamID: id, bytes: Array(repeating: UInt8(id), count: 40_000), endStream: true)
        }
        _ = try client.frames()
        _ = client.send(FrameBuilder.windowUpdate(stream: 0, 5 * 16_384))
        let frames = try client.frames().filter { $0.type == 0x0 }
        // One frame each, in turn, rather than one stream taking it all.
        #expect(Set(frames.map(\.stream)).count >= 4, "\(frames)")
    }
}
