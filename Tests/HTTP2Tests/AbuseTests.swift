import HPACK
import Testing
@testable import HTTP2

/// Each abuse defence ends in RST_STREAM or GOAWAY, with memory bounded.
@Suite struct AbuseTests {
    @Test func streamsBeyondMaxConcurrentAreRefused() throws {
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = 3
        var client = try TestClient.started(settings: settings)
        for id: UInt32 in [1, 3, 5] { #expect(client.open(id).count == 1) }
        #expect(client.open(7).isEmpty)
        #expect(TestClient.resets(try client.frames()) == [7: .refusedStream])
        // Its DATA in flight is ignored; once a stream ends there is room again.
        #expect(client.send(FrameBuilder.data(stream: 7, [1, 2])).isEmpty)
        _ = client.send(FrameBuilder.rstStream(stream: 1))
        #expect(client.open(9).count == 1)
        #expect(client.connection.activeStreams == 3)
    }

    @Test func rapidResetEndsInEnhanceYourCalm() throws {
        var limits = HTTP2Limits()
        limits.maxResetsPerWindow = 50
        limits.rapidResetWindow = 1000
        var client = try TestClient.started(limits: limits)
        var id: UInt32 = 1
        var failure: HTTP2ErrorCode?
        for _ in 0..<100 {
            let events = client.open(id) + client.send(FrameBuilder.rstStream(stream: id))
            failure = events.compactMap(\.connectionErrorCode).first
            if failure != nil { break }
            id += 2
        }
        #expect(failure == .enhanceYourCalm)
        #expect(id == 1 + 2 * 50, "the 51st reset is one too many")
        #expect(TestClient.goAwayCode(try client.frames()) == .enhanceYourCalm)
    }

    @Test func resetsSpreadOverManyStreamsAreFine() throws {
        var limits = HTTP2Limits()
        limits.maxResetsPerWindow = 10
        limits.rapidResetWindow = 100
        var client = try TestClient.started(limits: limits)
        var id: UInt32 = 1
        for round in 0..<2000 {
            let reset = round % 20 == 0  // 5 % of streams are cancelled
            var events = client.open(id, endStream: true)
            if reset {
                events += client.send(FrameBuilder.rstStream(stream: id))
            } else {
                client.connection.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: true)
            }
            #expect(events.allSatisfy { $0.connectionErrorCode == nil })
            id += 2
            _ = client.connection.takeOutput()
        }
        #expect(!client.connection.isClosed)
    }

    @Test func refusalsCountAsResets() throws {
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = 1
        var limits = HTTP2Limits()
        limits.maxResetsPerWindow = 20
        var client = try TestClient.started(settings: settings, limits: limits)
        client.open(1)
        var events: [HTTP2Event] = []
        for id in stride(from: UInt32(3), to: 200, by: 2) {
            events += client.open(id)
            if !events.isEmpty { break }
        }
        #expect(events.first?.connectionErrorCode == .enhanceYourCalm)
    }

    @Test func continuationFloodIsBoundedByBytes() throws {
        var client = try TestClient.started()
        var events = client.send(FrameBuilder.headers(stream: 1, block: Array(repeating: 0x40, count: 16_000), endHeaders: false))
        var frames = 0
        while events.isEmpty && frames < 100 {
            events = client.send(FrameBuilder.continuation(stream: 1, block: Array(repeating: 0x40, count: 16_000), endHeaders: false))
            frames += 1
        }
        #expect(events.first?.connectionErrorCode == .enhanceYourCalm)
        #expect(frames == 4, "64 KiB is 4 frames of 16,000 octets plus one")
    }

    @Test func continuationFloodIsBoundedByFrameCount() throws {
        var client = try TestClient.started()
        var events = client.send(FrameBuilder.headers(stream: 1, block: [], endHeaders: false))
        var frames = 0
        while events.isEmpty && frames < 10_000 {
            events = client.send(FrameBuilder.continuation(stream: 1, block: [], endHeaders: false))
            frames += 1
        }
        #expect(events.first?.connectionErrorCode == .enhanceYourCalm)
        #expect(frames == HTTP2Limits().maxContinuationFrames + 1)
    }

    @Test func oversizedHeaderListIsAnswered431() throws {
        var settings = HTTP2Settings()
        settings.maxHeaderListSize = 1024
        var client = try TestClient.started(settings: settings)
        let bomb = FrameBuilder.request(extra: (0..<20).map { HeaderField("x-\($0)", String(repeating: "b", count: 100)) })
        let events = client.send(FrameBuilder.headers(stream: 1, block: FrameBuilder.encode(bomb)))
        #expect(events.isEmpty)
        let frames = try client.frames()
        #expect(frames.map(\.type) == [0x1, 0x3])
        #expect(try client.decode(frames[0].payload) == [HeaderField(":status", "431")] && frames[0].endStream)
        #expect(TestClient.resets(frames) == [1: .noError])
        // HPACK stayed in step: the next request on the connection works.
        #expect(client.open(3).count == 1)
    }

    @Test(arguments: ["PING", "SETTINGS"])
    func controlFrameFloodWhileNotReadingEndsInEnhanceYourCalm(_ kind: String) throws {
        var limits = HTTP2Limits()
        limits.maxPendingControlFrames = 100
        var client = try TestClient.started(limits: limits)
        let frame = kind == "PING" ? FrameBuilder.ping() : FrameBuilder.settings([(0x3, 10)])
        let events = client.send(Array([[UInt8]](repeating: frame, count: 101).joined()))
        #expect(events.first?.connectionErrorCode == .enhanceYourCalm)
        #expect(client.connection.takeOutput().count < 102 * 17 + 300)
    }

    @Test func controlFramesThatAreTakenDoNotAccumulate() throws {
        var limits = HTTP2Limits()
        limits.maxPendingControlFrames = 100
        var client = try TestClient.started(limits: limits)
        for _ in 0..<50 {
            #expect(client.send(Array([[UInt8]](repeating: FrameBuilder.ping(), count: 100).joined())).isEmpty)
            #expect(client.connection.takeOutput().count == 100 * 17)
        }
    }

    @Test func emptyDataFloodEndsInEnhanceYourCalm() throws {
        var client = try TestClient.started()
        client.open(1)
        var events: [HTTP2Event] = []
        var sent = 0
        while events.isEmpty && sent < 1000 {
            events = client.send(FrameBuilder.data(stream: 1, []))
            sent += 1
        }
        #expect(events.first?.connectionErrorCode == .enhanceYourCalm)
        #expect(sent == HTTP2Limits().maxConsecutiveEmptyDataFrames + 1)
    }

    @Test func emptyDataFramesBetweenRealOnesAreFine() throws {
        var client = try TestClient.started()
        client.open(1)
        for _ in 0..<100 {
            #expect(client.send(FrameBuilder.data(stream: 1, [])).isEmpty)
            #expect(client.send(FrameBuilder.data(stream: 1, [1])).count == 1)
            client.connection.consumed(streamID: 1, count: 1)
        }
        #expect(!client.connection.isClosed)
    }

    @Test func windowUpdateFloodIsCheap() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        _ = try client.frames()
        for _ in 0..<10_000 {
            #expect(client.send(FrameBuilder.windowUpdate(stream: 1, 1) + FrameBuilder.windowUpdate(stream: 0, 1)).isEmpty)
        }
        #expect(!client.connection.hasOutput, "no answers to WINDOW_UPDATE")
    }

    @Test func peerThatNeverOpensItsWindowLeavesDataQueued() throws {
        var client = try TestClient.started(clientSettings: [(0x4, 0)])
        client.open(1, endStream: true)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: false)
        client.connection.sendData(streamID: 1, bytes: Array(repeating: 0, count: 100_000), endStream: false)
        _ = try client.frames()
        #expect(client.connection.queuedBytes(streamID: 1) == 100_000)
        // The app sees the backlog and stops producing; the peer's resets free it all.
        _ = client.send(FrameBuilder.rstStream(stream: 1))
        #expect(client.connection.queuedBytes(streamID: 1) == 0)
    }

    @Test func inputBufferIsBoundedByOneFrame() throws {
        var client = try TestClient.started()
        client.open(1)
        // A maximal frame fed in small pieces never buffers more than 9 + MAX_FRAME_SIZE.
        let frame = FrameBuilder.data(stream: 1, Array(repeating: 1, count: 16_384))
        var maxBuffered = 0
        var index = 0
        while index < frame.count {
            let end = min(frame.count, index + 1000)
            _ = client.send(Array(frame[index..<end]))
            maxBuffered = max(maxBuffered, client.connection.bufferedInputBytes)
            index = end
        }
        #expect(maxBuffered <= 9 + 16_384)
        #expect(client.connection.bufferedInputBytes == 0)
    }

    @Test func gracefulGoAwayLetsOpenStreamsFinishAndIgnoresNewOnes() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        client.connection.goAway(code: .noError, debug: "shutting down")
        var frames = try client.frames()
        #expect(frames.count == 1 && frames[0].type == 0x7 && frames[0].firstWord == 1 && frames[0].goAwayCode == 0)
        // A stream the client opened before it saw the GOAWAY is ignored (HPACK still decoded).
        #expect(client.open(3).isEmpty)
        #expect(client.send(FrameBuilder.data(stream: 3, [1])).isEmpty)
        #expect(!client.connection.isClosed)
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: true)
        #expect(client.connection.isClosed)
        frames = try client.frames()
        #expect(frames.map(\.type) == [0x1])
    }

    @Test func goAwayWithAnErrorClosesAtOnce() throws {
        var client = try TestClient.started()
        client.open(1)
        client.connection.goAway(code: .internalError, debug: "bye")
        #expect(client.connection.isClosed)
        #expect(TestClient.goAwayCode(try client.frames()) == .internalError)
        #expect(client.send(FrameBuilder.ping()).isEmpty)
        #expect(!client.connection.hasOutput)
    }
}
