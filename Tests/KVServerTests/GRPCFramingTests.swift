import Testing
@testable import KVServer

@Suite struct GRPCFramingTests {
    private func framed(_ payloads: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for payload in payloads {
            GRPCMessageReader.writePrefix(length: payload.count, into: &out)
            out += payload
        }
        return out
    }

    @Test func messagesSplitAnywhereComeOutWhole() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let payloads = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            let bytes = framed(payloads)
            var reader = GRPCMessageReader(maxMessageBytes: 1024)
            var got: [[UInt8]] = []
            var index = 0
            while index < bytes.count {
                let end = min(bytes.count, index + Int.random(in: 1...64, using: &generator))
                reader.append(bytes[index..<end])
                index = end
                while let message = try reader.next() { got.append(Array(message)) }
            }
            #expect(got == payloads)
            #expect(reader.bufferedBytes == 0)
        }
    }

    @Test func oversizedMessageIsRefusedFromItsPrefix() throws {
        var reader = GRPCMessageReader(maxMessageBytes: 100)
        reader.append([0, 0, 0, 0, 101])
        #expect(throws: GRPCMessageReader.Failure.tooLarge(101, 100)) { try reader.next() }
        #expect(GRPCMessageReader.Failure.tooLarge(101, 100).status.code == 8)
        #expect(GRPCMessageReader.Failure.tooLarge(101, 100).status.message == "grpc: received message larger than max (101 vs. 100)")
    }

    @Test func compressedMessageIsUnimplemented() throws {
        var reader = GRPCMessageReader(maxMessageBytes: 100)
        reader.append([1, 0, 0, 0, 1, 7])
        #expect(throws: GRPCMessageReader.Failure.compressed) { try reader.next() }
        #expect(GRPCMessageReader.Failure.compressed.status.code == 12)
        var other = GRPCMessageReader(maxMessageBytes: 100)
        other.append([9, 0, 0, 0, 0])
        #expect(throws: GRPCMessageReader.Failure.badFlag(9)) { try other.next() }
    }

    @Test(arguments: [
        ("1S", UInt64(1_000_000_000)), ("100m", 100_000_000), ("5u", 5_000), ("7n", 7), ("2M", 120_000_000_000),
        ("1H", 3_600_000_000_000), ("99999999H", UInt64.max),
    ])
    func timeoutsParse(text: String, nanoseconds: UInt64) {
        #expect(GRPCTimeout.nanoseconds(text) == nanoseconds)
    }

    @Test(arguments: ["", "S", "1", "123456789S", "1s", "-1S", "1.5S", "1 S"])
    func malformedTimeoutsAreNil(text: String) {
        #expect(GRPCTimeout.nanoseconds(text) == nil)
    }

    @Test func statusMessagesArePercentEncoded() {
        #expect(GRPCStatusText.percentEncoded("etcdserver: key not found") == "etcdserver: key not found")
        #expect(GRPCStatusText.percentEncoded("100% done\n") == "100%25 done%0A")
        #expect(GRPCStatusText.percentEncoded("é") == "%C3%A9")
    }
}
