import Testing
@testable import KVProtocol
import TestSupport

@Suite struct ByteBufferTests {
    @Test func writesIntegersWithoutStrings() {
        var buffer = ByteBuffer()
        buffer.writeDecimal(Int64(0)); buffer.writeByte(32)
        buffer.writeDecimal(Int64.min); buffer.writeByte(32)
        buffer.writeDecimal(Int64.max); buffer.writeByte(32)
        buffer.writeDecimal(UInt64.max); buffer.writeByte(32)
        buffer.writeDecimal(-42); buffer.writeByte(32)
        buffer.writeHex(0); buffer.writeByte(32)
        buffer.writeHex(0xdead_beef); buffer.writeByte(32)
        buffer.writeHex(UInt64.max)
        #expect(String(decoding: buffer.readAll(), as: UTF8.self)
            == "0 -9223372036854775808 9223372036854775807 18446744073709551615 -42 0 deadbeef ffffffffffffffff")
    }

    @Test func readsConsumeAndGetsPeek() {
        var buffer = ByteBuffer("hello\nworld")
        #expect(buffer.getByte(at: 0) == UInt8(ascii: "h"))
        #expect(buffer.firstOffset(of: UInt8(ascii: "\n")) == 5)
        #expect(buffer.readBytes(count: 6) == Array("hello\n".utf8))
        #expect(buffer.readableBytes == 5)
        #expect(buffer.getBytes(at: 1, count: 3) == Array("orl".utf8))
        #expect(buffer.readBytes(count: 9) == nil)
        #expect(buffer.readByte() == UInt8(ascii: "w"))
        #expect(buffer.readAll() == Array("orld".utf8))
        #expect(buffer.isEmpty && buffer.storedBytes == 0)
    }

    /// Offsets and counts at the Int edges are out of range, never an overflow.
    @Test(arguments: [Int.min, -1, 0, 1, Int.max - 1, Int.max])
    func offsetsAndCountsAtTheEdges(_ value: Int) {
        var buffer = ByteBuffer("hello")
        buffer.moveReaderIndex(forwardBy: 1)
        let inRange = value >= 0 && value < 4
        #expect((buffer.getByte(at: value) != nil) == inRange)
        #expect((buffer.getBytes(at: value, count: 1) != nil) == inRange)
        #expect((buffer.getBytes(at: 0, count: value) != nil) == (value >= 0 && value <= 4))
        #expect(buffer.getBytes(at: value, count: value) == (value == 0 ? [] : value == 1 ? Array("l".utf8) : nil))
        #expect((buffer.firstOffset(of: UInt8(ascii: "o"), from: value) != nil) == (value <= 3))
        buffer.moveReaderIndex(forwardBy: value)
        #expect(buffer.readableBytes == 4 - min(max(0, value), 4))
        let decoder = LineDecoder(maximumLineLength: value)
        #expect(decoder.maximumLineLength == min(max(1, value), Int.max - 1))
        if case .store(.requestTooLarge(let size, let limit)) = decoder.tooLongError {
            #expect(size == limit + 1)
        }
    }

    @Test func compactsOnceTheReaderPassesHalf() {
        var buffer = ByteBuffer()
        buffer.writeBytes([UInt8](repeating: 1, count: 4000))
        buffer.moveReaderIndex(forwardBy: 1500)
        #expect(buffer.storedBytes == 4000)
        buffer.moveReaderIndex(forwardBy: 600)
        #expect(buffer.storedBytes == 1900 && buffer.readableBytes == 1900)
        buffer.writeByte(2)
        #expect(buffer.getByte(at: 1900) == 2)
    }
}

@Suite struct LineDecoderTests {
    static let input: [UInt8] = Array("PUT a b\r\n@t1 GET a\n\nGET \"x\\ny\"\r\n".utf8)
        + [UInt8](repeating: UInt8(ascii: "z"), count: 100) + Array("\nPING\n@long ".utf8)
        + [UInt8](repeating: UInt8(ascii: "q"), count: 300) + Array("\r\nSTATUS\r\n".utf8)
        + Array("x".utf8) + [UInt8](repeating: UInt8(ascii: "r"), count: 63) + Array("\r\nEND\ntrailing".utf8)

    static let expected: [LineDecoder.Result] = [
        .line(Array("PUT a b".utf8)), .line(Array("@t1 GET a".utf8)), .line([]), .line(Array("GET \"x\\ny\"".utf8)),
        .tooLong(tag: nil), .line(Array("PING".utf8)), .tooLong(tag: RequestTag("long")), .line(Array("STATUS".utf8)),
        .line(Array("x".utf8) + [UInt8](repeating: UInt8(ascii: "r"), count: 63)), .line(Array("END".utf8)),
    ]

    static func run(chunks: [ArraySlice<UInt8>]) -> [LineDecoder.Result] {
        var decoder = LineDecoder(maximumLineLength: 64)
        var buffer = ByteBuffer()
        var results: [LineDecoder.Result] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let result = decoder.next(from: &buffer) { results.append(result) }
            #expect(buffer.readableBytes <= 66, "the buffer stays bounded")
        }
        return results
    }

    @Test func allAtOnce() {
        #expect(Self.run(chunks: [Self.input[...]]) == Self.expected)
    }

    @Test func byteByByte() {
        #expect(Self.run(chunks: Self.input.indices.map { Self.input[$0...$0] }) == Self.expected)
    }

    @Test func randomChunks() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<200 {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < Self.input.count {
                let end = min(Self.input.count, start + Int.random(in: 1...80, using: &rng))
                chunks.append(Self.input[start..<end])
                start = end
            }
            #expect(Self.run(chunks: chunks) == Self.expected)
        }
    }

    @Test func incompleteLineWaits() {
        var decoder = LineDecoder()
        var buffer = ByteBuffer("GET a")
        #expect(decoder.next(from: &buffer) == nil)
        buffer.writeBytes(Array("\n".utf8))
        #expect(decoder.next(from: &buffer) == .line(Array("GET a".utf8)))
        #expect(decoder.next(from: &buffer) == nil)
    }

    @Test func tooLongLineIsAnsweredWithTooLarge() {
        var decoder = LineDecoder(maximumLineLength: 8)
        var buffer = ByteBuffer("@big PUT k 0123456789\nPING\n")
        guard case .tooLong(let tag) = decoder.next(from: &buffer) else {
            Issue.record("expected tooLong")
            return
        }
        #expect(String(decoding: ReplyEncoder.line(.failure(decoder.tooLongError), tag: tag), as: UTF8.self)
            == #"@big ERR TOO_LARGE "etcdserver: request is too large" size=9 limit=8"# + "\n")
        #expect(decoder.next(from: &buffer) == .line(Array("PING".utf8)))
    }

    @Test func defaultLimitFitsTheLargestRequest() {
        #expect(LineDecoder().maximumLineLength > 1_572_864)
    }
}

@Suite struct TokenizerTests {
    @Test func splitsBareAndQuotedTokens() throws {
        let tokens = try Tokenizer.tokenize(Array(#"@t PUT "a b" x"y "" "\x41\x7e\xFF" --lease=1 "--q""#.utf8))
        #expect(tokens.map(\.bytes) == [Array("@t".utf8), Array("PUT".utf8), Array("a b".utf8), Array("x\"y".utf8), [],
                                        [0x41, 0x7e, 0xff], Array("--lease=1".utf8), Array("--q".utf8)])
        #expect(tokens.map(\.isOption) == [false, false, false, false, false, false, true, false])
        #expect(tokens.map(\.column) == [1, 4, 8, 14, 18, 21, 36, 46])
    }

    @Test func rawHighBytesInsideQuotesAreKept() throws {
        let tokens = try Tokenizer.tokenize(Array("\"café\"".utf8))
        #expect(tokens == [Token(Array("café".utf8), quoted: true, column: 1)])
    }

    @Test func escaperPicksBareOrMinimalQuotes() {
        let cases: [([UInt8], String)] = [
            (Array("foo".utf8), "foo"), ([], #""""#), (Array("a b".utf8), #""a b""#), (Array("x\"y".utf8), #"x"y"#),
            (Array("\"x".utf8), #""\"x""#), (Array("a\\b".utf8), #""a\\b""#), ([0, 9, 10, 13, 0x7f, 0x80, 0xff], #""\0\t\n\r\x7f\x80\xff""#),
            (Array("--x".utf8), #""--x""#), (Array("-x".utf8), "-x"), (Array("-".utf8), "-"), (Array("@a".utf8), "@a"),
        ]
        for (bytes, expected) in cases {
            #expect(TokenEscaper.encodedString(bytes) == expected)
        }
    }

    @Test func everySingleByteRoundTrips() throws {
        for byte in UInt8.min...UInt8.max {
            for bytes in [[byte], [UInt8(ascii: "a"), byte, byte], [byte, UInt8(ascii: " "), byte]] {
                let tokens = try Tokenizer.tokenize(TokenEscaper.encode(bytes))
                #expect(tokens.count == 1 && tokens[0].bytes == bytes && !tokens[0].isOption)
            }
        }
    }
}
