import HPACK
import TestSupport
import Testing
@testable import HTTP2

/// `HTTP2ClientConnection` against our own server connection, in memory: requests and responses larger
/// than every window (so both sides' flow control and WINDOW_UPDATEs must work), header blocks split into
/// CONTINUATION frames, PING and SETTINGS answered, protocol violations refused, and random input
/// never trapping.
@Suite struct ClientConnectionTests {
    /// A client and a server wired together; `exchange` moves bytes both ways until neither has
    /// anything to say, answering each complete request with `respond`.
    struct Pair {
        var client = HTTP2ClientConnection()
        let server: HTTP2ServerConnection
        var clientEvents: [HTTP2ClientConnection.Event] = []
        var serverEvents: [HTTP2Event] = []
        var bodies: [UInt32: [UInt8]] = [:]
        /// How the server answers stream N once its request ended.
        var respond: (HTTP2ServerConnection, UInt32, [UInt8]) -> Void = { _, _, _ in }

        init(serverSettings: HTTP2Settings = .init()) {
            server = HTTP2ServerConnection(settings: serverSettings)
        }

        /// Delivers the server's bytes in pieces of `chunk` octets (to show framing is split-invariant).
        mutating func exchange(chunk: Int = Int.max, rounds: Int = 10_000) throws {
            for _ in 0..<rounds {
                let toServer = client.takeOutput()
                let toClient = server.takeOutput()
                if toServer.isEmpty && toClient.isEmpty { return }
                for event in toServer.withUnsafeBytes({ server.receive($0) }) {
                    serverEvents.append(event)
                    if case .data(let id, let bytes, let end) = event {
                        bodies[id, default: []] += bytes
                        server.consumed(streamID: id, count: bytes.count)
                        if end { respond(server, id, bodies[id]!) }
                    }
                    if case .headers(let id, _, true) = event { respond(server, id, []) }
                }
                var offset = 0
                while offset < toClient.count {
                    let end = min(toClient.count, offset + chunk)
                    clientEvents += try toClient[offset..<end].withUnsafeBytes { try client.receive($0) }
                    offset = end
                }
            }
            Issue.record("the exchange did not settle")
        }

        /// The response body the client received on `id`, and whether the stream ended.
        func received(_ id: UInt32) -> (headers: [[HeaderField]], body: [UInt8], ended: Bool) {
            var headers: [[HeaderField]] = []
            var body: [UInt8] = []
            var ended = false
            for event in clientEvents {
                switch event {
                case .headers(id, let fields, let end): headers.append(fields); ended = ended || end
                case .data(id, let bytes, let end): body += bytes; ended = ended || end
                default: break
                }
            }
            return (headers, body, ended)
        }
    }

    static func request(_ path: String, extra: [HeaderField] = []) -> [HeaderField] {
        [HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", path),
         HeaderField(":authority", "127.0.0.1"), HeaderField("content-type", "application/grpc")] + extra
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
    }

    @Test(arguments: [Int.max, 1, 7, 1000])
    func bodiesLargerThanEveryWindowFlowBothWays(chunk: Int) throws {
        var pair = Pair()
        let response = Self.pattern(3 << 20, seed: 9)
        pair.respond = { server, id, _ in
            server.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: false)
            server.sendData(streamID: id, bytes: response, endStream: false)
            server.sendHeaders(streamID: id, headers: [HeaderField("grpc-status", "0")], endStream: true)
        }
        // 200 KB up: above the 65,535-octet windows the client must assume until the server's SETTINGS.
        let request = Self.pattern(200_000, seed: 3)
        let id = pair.client.openStream(headers: Self.request("/big"), endStream: false)
        pair.client.sendData(id, request, endStream: true)
        if chunk < 100 {
            // Byte-at-a-time delivery of 3 MiB is slow in debug builds; check the splitting on a small reply.
            pair.respond = { server, id, _ in
                server.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: false)
                server.sendData(streamID: id, bytes: Self.pattern(40_000, seed: 1), endStream: true)
            }
        }
        try pair.exchange(chunk: chunk)
        #expect(pair.bodies[id] == request)
        let got = pair.received(id)
        #expect(got.ended)
        #expect(got.headers.first?.first == HeaderField(":status", "200"))
        #expect(got.body == (chunk < 100 ? Self.pattern(40_000, seed: 1) : response))
        if chunk >= 100 { #expect(got.headers.last == [HeaderField("grpc-status", "0")]) }
        #expect(!pair.client.isOpen(id) || pair.client.pendingDataBytes == 0)
    }

    @Test func manyStreamsInterleave() throws {
        var pair = Pair()
        pair.respond = { server, id, body in
            server.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: false)
            server.sendData(streamID: id, bytes: body.reversed(), endStream: true)
        }
        var sent: [UInt32: [UInt8]] = [:]
        for index in 0..<20 {
            let id = pair.client.openStream(headers: Self.request("/s\(index)"), endStream: false)
            let body = Self.pattern(10_000 * (index + 1), seed: UInt8(index))
            pair.client.sendData(id, body, endStream: true)
            sent[id] = body
        }
        try pair.exchange()
        for (id, body) in sent {
            #expect(pair.received(id).body == Array(body.reversed()), "stream \(id)")
        }
    }

    @Test func headerBlocksLargerThanAFrameUseContinuation() throws {
        var settings = HTTP2Settings()
        settings.maxHeaderListSize = 256 * 1024
        var pair = Pair(serverSettings: settings)
        let big = String(repeating: "v", count: 50_000)
        pair.respond = { server, id, _ in
            server.sendHeaders(streamID: id, headers: [HeaderField(":status", "200"), HeaderField("x-big", big)], endStream: true)
        }
        let id = pair.client.openStream(headers: Self.request("/h", extra: [HeaderField("x-request", big)]), endStream: true)
        try pair.exchange(chunk: 4096)
        let request = pair.serverEvents.compactMap { event -> [HeaderField]? in
            if case .headers(id, let fields, _) = event { return fields }
            return nil
        }
        #expect(request.first?.contains(HeaderField("x-request", big)) == true)
        let got = pair.received(id)
        #expect(got.ended && got.headers == [[HeaderField(":status", "200"), HeaderField("x-big", big)]])
    }

    @Test func resetAndGoAwayReachTheCaller() throws {
        var pair = Pair()
        pair.respond = { server, id, _ in server.resetStream(streamID: id, code: .refusedStream) }
        let id = pair.client.openStream(headers: Self.request("/r"), endStream: true)
        try pair.exchange()
        #expect(pair.clientEvents.contains(.reset(streamID: id, code: .refusedStream)))
        #expect(!pair.client.isOpen(id))
        pair.server.goAway(code: .noError, debug: "bye")
        try pair.exchange()
        #expect(pair.clientEvents.contains { if case .goAway(_, .noError, "bye") = $0 { return true }; return false })
    }

    @Test func pingAndSettingsAreAnswered() throws {
        var client = HTTP2ClientConnection()
        _ = client.takeOutput()
        let input = FrameBuilder.settings([(0x5, 32_768)]) + FrameBuilder.ping([9, 8, 7, 6, 5, 4, 3, 2])
        #expect(try input.withUnsafeBytes { try client.receive($0) }.isEmpty)
        let frames = try #require(ParsedFrame.parse(client.takeOutput()))
        #expect(frames.map(\.type) == [0x4, 0x6])
        #expect(frames[0].isAck && frames[1].isAck && frames[1].payload == [9, 8, 7, 6, 5, 4, 3, 2])
    }

    /// Each input breaks the protocol: `receive` throws and a GOAWAY with the right code goes out.
    @Test(arguments: [
        (FrameBuilder.frame(0x0, stream: 0, [1]), HTTP2ErrorCode.protocolError),
        (FrameBuilder.frame(0x5, flags: 0x4, stream: 1, [0, 0, 0, 2]), .protocolError),
        (FrameBuilder.frame(0x1, flags: 0x4, stream: 2, [0x88]), .protocolError),
        (FrameBuilder.frame(0x0, stream: 1, [], length: 20_000), .frameSizeError),
        (FrameBuilder.frame(0x6, stream: 0, [1, 2, 3]), .frameSizeError),
        (FrameBuilder.frame(0x4, stream: 0, [0, 4, 0x80, 0, 0, 0]), .flowControlError),
        (FrameBuilder.frame(0x8, stream: 0, [0, 0, 0, 0]), .protocolError),
        (FrameBuilder.frame(0x9, flags: 0x4, stream: 1, [0x88]), .protocolError),
    ])
    func violationsAreConnectionErrors(input: [UInt8], code: HTTP2ErrorCode) throws {
        var client = HTTP2ClientConnection()
        _ = client.openStream(headers: Self.request("/x"), endStream: true)
        _ = client.takeOutput()
        #expect(throws: HTTP2ClientConnection.ProtocolFailure.self) {
            _ = try input.withUnsafeBytes { try client.receive($0) }
        }
        let frames = try #require(ParsedFrame.parse(client.takeOutput()))
        #expect(frames.last?.type == 0x7 && HTTP2ErrorCode(wire: frames.last!.goAwayCode) == code)
    }

    /// Random frames and bytes after a valid start: `receive` returns or throws, never traps, and
    /// never buffers more than a frame.
    @Test func randomInputNeverTraps() throws {
        var random = SeededGenerator(seed: 17)
        for _ in 0..<3000 {
            var client = HTTP2ClientConnection()
            let id = client.openStream(headers: Self.request("/f"), endStream: false)
            client.sendData(id, [1, 2, 3], endStream: true)
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let type = UInt8.random(in: 0...10, using: &random)
                let flags = UInt8.random(in: 0...255, using: &random)
                let stream = [0, 1, 2, 3, UInt32.random(in: 0...0x7fff_ffff, using: &random)].randomElement(using: &random)!
                let payload = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                input += FrameBuilder.frame(type, flags: flags, stream: stream, payload)
            }
            if Bool.random(using: &random), !input.isEmpty {
                input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = try? input.withUnsafeBytes { try client.receive($0) }
            _ = client.takeOutput()
        }
    }
}
