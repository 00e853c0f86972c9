import HPACK
import Testing
@testable import HTTP2
import TestSupport

/// The same bytes give the same events and the same output however the reads split them.
@Suite struct SplitInvarianceTests {
    /// A realistic client conversation: preface, SETTINGS, requests with padding, priority,
    /// CONTINUATION, DATA, trailers, PING, WINDOW_UPDATE, RST_STREAM, unknown frames and SETTINGS ACK.
    static func conversation() -> [UInt8] {
        var encoder = HPACKEncoder()
        func block(_ headers: [HeaderField]) -> [UInt8] {
            var bytes: [UInt8] = []
            encoder.encode(headers, into: &bytes)
            return bytes
        }
        var bytes = HTTP2.clientPreface + FrameBuilder.settings([(0x4, 100_000), (0x1, 8192)]) + FrameBuilder.settings(ack: true)
        bytes += FrameBuilder.headers(stream: 1, block: block(FrameBuilder.request()), padding: 3, priority: 0)
        bytes += FrameBuilder.data(stream: 1, Array(repeating: 0xab, count: 20_000 / 2), padding: 7)
        bytes += FrameBuilder.data(stream: 1, Array(1...200), endStream: true)
        bytes += FrameBuilder.ping([1, 1, 2, 3, 5, 8, 13, 21])
        let long = block(FrameBuilder.request(extra: [HeaderField("x-pad", String(repeating: "z", count: 2500))]))
        bytes += FrameBuilder.headers(stream: 3, block: Array(long[..<1000]), endHeaders: false)
        bytes += FrameBuilder.continuation(stream: 3, block: Array(long[1000...]))
        bytes += FrameBuilder.frame(0xee, stream: 3, [1, 2, 3])
        bytes += FrameBuilder.data(stream: 3, Array(repeating: 7, count: 5000))
        bytes += FrameBuilder.headers(stream: 3, block: block([HeaderField("x-trailer", "t")]), endStream: true)
        bytes += FrameBuilder.windowUpdate(stream: 0, 12345)
        bytes += FrameBuilder.headers(stream: 5, block: block(FrameBuilder.request()))
        bytes += FrameBuilder.rstStream(stream: 5, 8)
        bytes += FrameBuilder.priority(stream: 7, dependsOn: 1)
        bytes += FrameBuilder.goAway(lastStreamID: 0, 0)
        return bytes
    }

    /// Feeds `bytes` in pieces cut at `cuts`, answering every request as an app would.
    static func run(_ bytes: [UInt8], cuts: [Int]) -> (events: [HTTP2Event], output: [UInt8]) {
        var connection = HTTP2ServerConnection()
        var events: [HTTP2Event] = []
        var start = 0
        for end in cuts + [bytes.count] where end > start {
            bytes[start..<end].withUnsafeBytes { connection.receive($0, into: &events) }
            start = end
        }
        for event in events {
            if case .data(let id, let data, _) = event { connection.consumed(streamID: id, count: data.count) }
        }
        return (events, connection.takeOutput())
    }

    @Test func oneByteAtATimeEqualsAllAtOnce() {
        let bytes = Self.conversation()
        let whole = Self.run(bytes, cuts: [])
        #expect(whole.events.count == 9, "\(whole.events)")
        let single = Self.run(bytes, cuts: Array(1..<bytes.count))
        #expect(single.events == whole.events)
        #expect(single.output == whole.output)
    }

    @Test func randomSplitsEqualAllAtOnce() {
        let seed: UInt64 = 0x5917_2024
        print("split invariance: seed \(seed)")
        var rng = SeededGenerator(seed: seed)
        let bytes = Self.conversation()
        let whole = Self.run(bytes, cuts: [])
        for _ in 0..<200 {
            let count = Int.random(in: 1...40, using: &rng)
            let cuts = (0..<count).map { _ in Int.random(in: 1..<bytes.count, using: &rng) }.sorted()
            let split = Self.run(bytes, cuts: cuts)
            #expect(split.events == whole.events)
            #expect(split.output == whole.output)
        }
    }
}
