import Glibc
import HPACK
import Testing
@testable import HTTP2
import TestSupport

/// Mutated frame sequences against a connection driven like an app would drive it: no crash, output
/// always whole frames, and memory bounded (input carry buffer, streams, output between takes).
///
/// Seeded and bounded: 100,000 cases by default, in 10 partitions that run in parallel (about 35 s of
/// CPU on a debug build on this 2-core machine), each with its own seed derived from the one printed.
/// Run longer or replay with, e.g., `KV_FUZZ_CASES=100000 KV_FUZZ_SEED=12345 swift test --filter HTTP2FuzzTests`.
@Suite struct HTTP2FuzzTests {
    static let defaultSeed: UInt64 = 0x4854_5432_F022

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static var cases: Int { environment("KV_FUZZ_CASES").flatMap { Int($0) } ?? 100_000 }
    static let partitions = 10

    static var seed: UInt64 {
        guard let text = environment("KV_FUZZ_SEED") else { return defaultSeed }
        return (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)) ?? defaultSeed
    }

    struct Generator {
        var rng: SeededGenerator
        var encoder = HPACKEncoder()

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }

        mutating func stream() -> UInt32 {
            switch int(0...9) {
            case 0: 0
            case 1: 2
            case 2...7: UInt32(2 * int(0...6) + 1)
            case 8: UInt32.random(in: 0...0x7fff_ffff, using: &rng)
            default: 0x8000_0000 | UInt32(2 * int(0...3) + 1)
            }
        }

        mutating func headerList() -> [HeaderField] {
            var list = FrameBuilder.request(path: ["/", "/etcdserverpb.KV/Put", "", "/x"][int(0...3)])
            if chance(20) { list.shuffle(using: &rng) }
            if chance(20) { list.append(HeaderField(["X-Up", "te", "connection", "content-length", "a b", ":path"][int(0...5)], ["1", "trailers", "", "\r"][int(0...3)])) }
            if chance(10) { list = [HeaderField("grpc-status", "0")] }
            if chance(5) { list += (0..<int(1...40)).map { HeaderField("x-\($0)", String(repeating: "v", count: int(0...600))) } }
            return list
        }

        mutating func block() -> [UInt8] {
            var block: [UInt8] = []
            if chance(97) { encoder.encode(headerList(), into: &block) } else { block = bytes(int(0...30)) }
            return block
        }

        /// Streams this conversation opened, and the next id to open.
        var opened: [UInt32] = []
        var nextID: UInt32 = 1

        mutating func openedStream() -> UInt32 { opened.isEmpty ? 1 : opened[int(0...(opened.count - 1))] }

        /// Mostly what a real client sends, in a valid order; one frame in nine anything at all.
        mutating func frame() -> [UInt8] {
            switch opened.isEmpty ? 0 : int(0...99) {
            case 0..<28:
                let id = nextID
                nextID += 2
                opened.append(id)
                let whole = block()
                if chance(15) {
                    let cut = int(0...whole.count)
                    return FrameBuilder.headers(stream: id, block: Array(whole[..<cut]), endStream: chance(40), endHeaders: false)
                        + FrameBuilder.continuation(stream: id, block: Array(whole[cut...]))
                }
                return FrameBuilder.headers(stream: id, block: whole, endStream: chance(40), padding: chance(10) ? int(0...20) : nil)
            case 28..<55:
                let size = chance(85) ? int(0...300) : int(0...(chance(90) ? 16_384 : 40_000))
                return FrameBuilder.data(stream: openedStream(), [UInt8](repeating: UInt8(int(0...255)), count: size),
                                         endStream: chance(30), padding: chance(10) ? int(0...255) : nil)
            case 55..<62:
                return FrameBuilder.headers(stream: openedStream(), block: encoded([HeaderField("grpc-status", "0")]), endStream: true)
            case 62..<72:
                return FrameBuilder.windowUpdate(stream: chance(50) ? 0 : openedStream(), UInt32(int(1...100_000)))
            case 72..<77: return FrameBuilder.ping(bytes(8))
            case 77..<81:
                return FrameBuilder.settings([(UInt16(1), UInt32(int(0...8192))), (UInt16(2), UInt32(int(0...1))),
                                              (UInt16(3), UInt32(int(0...200))), (UInt16(4), UInt32(int(0...70_000))),
                                              (UInt16(5), UInt32(int(16_384...70_000))), (UInt16(6), UInt32(int(0...70_000)))]
                                                  .filter { _ in chance(40) })
            case 81..<86: return FrameBuilder.rstStream(stream: openedStream(), UInt32(int(0...13)))
            case 86..<89: return FrameBuilder.priority(stream: openedStream() + 2 * UInt32(int(0...2)), dependsOn: 0)
            default: return anyFrame()
            }
        }

        mutating func encoded(_ headers: [HeaderField]) -> [UInt8] {
            var block: [UInt8] = []
            encoder.encode(headers, into: &block)
            return block
        }

        /// Any frame type, any flags, any stream, fields often out of range.
        mutating func anyFrame() -> [UInt8] {
            let id = stream()
            switch int(0...13) {
            case 0, 1:
                return FrameBuilder.headers(stream: id, block: block(), endStream: chance(50), padding: chance(20) ? int(0...40) : nil,
                                            priority: chance(20) ? UInt32(int(0...9)) : nil)
            case 2:
                let whole = block()
                let cut = int(0...whole.count)
                return FrameBuilder.headers(stream: id, block: Array(whole[..<cut]), endStream: chance(50), endHeaders: false)
                    + FrameBuilder.continuation(stream: chance(90) ? id : stream(), block: Array(whole[cut...]), endHeaders: chance(90))
            case 3, 4:
                return FrameBuilder.data(stream: id, bytes(int(0...100)), endStream: chance(40),
                                         padding: chance(20) ? int(0...255) : nil)
            case 5: return FrameBuilder.priority(stream: id, dependsOn: UInt32(int(0...9)))
            case 6: return FrameBuilder.rstStream(stream: id, UInt32(int(0...15)))
            case 7:
                let ids: [UInt16] = [1, 2, 3, 4, 5, 6, 8, 0x99]
                return FrameBuilder.settings((0..<int(0...4)).map { _ in
                    (ids[int(0...7)], chance(70) ? UInt32(int(0...70_000)) : UInt32.random(in: 0...UInt32.max, using: &rng))
                }, ack: chance(15))
            case 8: return FrameBuilder.ping(bytes(8), ack: chance(20), stream: chance(90) ? 0 : id)
            case 9: return FrameBuilder.goAway(lastStreamID: UInt32(int(0...9)), UInt32(int(0...14)))
            case 10, 11:
                return FrameBuilder.windowUpdate(stream: chance(50) ? 0 : id,
                                                 chance(90) ? UInt32(int(0...200_000)) : UInt32.random(in: 0...UInt32.max, using: &rng))
            case 12: return FrameBuilder.continuation(stream: id, block: block(), endHeaders: chance(70))
            default: return FrameBuilder.frame(UInt8(int(0...255)), flags: UInt8(int(0...255)), stream: id, bytes(int(0...30)))
            }
        }

        /// A conversation, then (in 40 % of cases) 1-3 byte-level mutations.
        mutating func sequence() -> [UInt8] {
            opened.removeAll(keepingCapacity: true)
            nextID = 1
            var bytes = chance(99) ? HTTP2.clientPreface : bytes(24)
            if chance(95) { bytes += FrameBuilder.settings(chance(30) ? [(UInt16(0x4), UInt32(int(0...100_000))), (UInt16(0x5), 16_384 + UInt32(int(0...100_000)))] : []) }
            for _ in 0..<int(1...16) { bytes += frame() }
            for _ in 0..<(chance(40) ? int(1...3) : 0) where bytes.count > 24 {
                // Mostly past the preface: a broken preface ends the case before any frame is read.
                let index = chance(95) ? int(24...(bytes.count - 1)) : int(0...(bytes.count - 1))
                switch int(0...6) {
                case 0: bytes[index] ^= UInt8(1 << int(0...7))
                case 1: bytes[index] = [0, 0xff, 0x7f, 0x80, 1][int(0...4)]
                case 2: bytes.removeLast(int(0...min(bytes.count, 40)))
                case 3: bytes.insert(contentsOf: self.bytes(int(1...12)), at: index)
                case 4:
                    let end = min(bytes.count, index + int(1...60))
                    bytes.insert(contentsOf: bytes[index..<end], at: end)
                case 5: bytes.remove(at: index)
                default: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            return bytes
        }
    }

    struct Tally {
        var cases = 0, events = 0, connectionErrors = 0, resets = 0, headers = 0, data = 0, drained = 0, outputBytes = 0
    }

    @Test(arguments: 0..<partitions)
    func mutatedFrameSequencesNeverCrashAndStayBounded(partition: Int) throws {
        let seed = Self.seed ^ (UInt64(partition) &* 0xD1B5_4A32_D192_ED03)
        let cases = Self.cases / Self.partitions + (partition < Self.cases % Self.partitions ? 1 : 0)
        print("HTTP2 fuzz: partition \(partition) of seed \(Self.seed): \(cases) cases (KV_FUZZ_SEED, KV_FUZZ_CASES)")
        var generator = Generator(rng: SeededGenerator(seed: seed))
        var tally = Tally()
        for index in 0..<cases {
            let small = index % 2 == 0
            var settings = HTTP2Settings()
            var limits = HTTP2Limits()
            if small {
                settings.maxConcurrentStreams = 4
                settings.initialWindowSize = 30_000
                limits.maxPendingControlFrames = 6
                limits.maxResetsPerWindow = 3
                limits.maxConsecutiveEmptyDataFrames = 2
                limits.maxContinuationFrames = 2
                limits.maxHeaderBlockBytes = 2000
            }
            try run(generator.sequence(), settings: settings, limits: limits, generator: &generator, tally: &tally)
        }
        print("HTTP2 fuzz: \(tally)")
        #expect(tally.cases == cases)
        if cases >= 5_000 {
            #expect(tally.connectionErrors > 0 && tally.resets > 0 && tally.headers > 0 && tally.data > 0)
        }
    }

    func run(_ bytes: [UInt8], settings: HTTP2Settings, limits: HTTP2Limits, generator: inout Generator, tally: inout Tally) throws {
        var connection = HTTP2ServerConnection(settings: settings, limits: limits)
        var events: [HTTP2Event] = []
        var start = 0
        var failed = false
        var queued = 0
        while start < bytes.count {
            let end = generator.chance(50) ? bytes.count : min(bytes.count, start + generator.int(1...200))
            events.removeAll(keepingCapacity: true)
            bytes[start..<end].withUnsafeBytes { connection.receive($0, into: &events) }
            start = end
            if failed && !events.isEmpty { Issue.record("events after a connection error: \(events)") }
            tally.events += events.count
            for event in events {
                switch event {
                case .headers(let id, _, let endStream):
                    tally.headers += 1
                    if endStream || generator.chance(50) {
                        connection.sendHeaders(streamID: id, headers: [HeaderField(":status", "200")], endStream: false)
                        let size = generator.chance(80) ? generator.int(0...100) : generator.int(0...70_000)
                        connection.sendData(streamID: id, bytes: [UInt8](repeating: 1, count: size), endStream: generator.chance(30))
                        queued += size
                        if generator.chance(50) { connection.sendHeaders(streamID: id, headers: [HeaderField("grpc-status", "0")], endStream: true) }
                    }
                case .data(let id, let data, _):
                    tally.data += 1
                    if generator.chance(80) { connection.consumed(streamID: id, count: data.count) }
                    if generator.chance(5) { connection.resetStream(streamID: id, code: .cancel) }
                case .streamReset: tally.resets += 1
                case .drained: tally.drained += 1
                case .goAway: break
                case .connectionError(let code, let reason):
                    tally.connectionErrors += 1
                    if Self.environment("KV_FUZZ_VERBOSE") != nil { print("fuzz connection error: \(code) \(reason)") }
                    failed = true
                }
            }
            // Bounds: one frame of carry, the stream limit, the output between takes.
            // (Plain checks: #expect per chunk would dominate the run time on a debug build.)
            if connection.bufferedInputBytes > FrameHeader.size + settings.maxFrameSize {
                Issue.record("input buffer \(connection.bufferedInputBytes) octets")
            }
            if connection.activeStreams > settings.maxConcurrentStreams {
                Issue.record("\(connection.activeStreams) streams open")
            }
            if generator.chance(70) || connection.isClosed {
                let output = connection.takeOutput()
                tally.outputBytes += output.count
                if output.count > 2 * queued + 100_000 { Issue.record("output of \(output.count) octets for \(queued) queued") }
                if let frames = ParsedFrame.parse(output) {
                    if frames.contains(where: { $0.payload.count > 16_384 + 100_000 }) { Issue.record("frame above the peer's MAX_FRAME_SIZE") }
                } else {
                    Issue.record("output is not whole frames")
                }
            }
        }
        if generator.chance(10) { connection.goAway(code: .noError, debug: "fuzz") }
        if ParsedFrame.parse(connection.takeOutput()) == nil { Issue.record("final output is not whole frames") }
        tally.cases += 1
    }
}
