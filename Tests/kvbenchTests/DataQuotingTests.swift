import KVProtocol
import KVStore
import Testing
@testable import KVBenchCore

@Suite struct DataQuotingTests {
    static func tokenBytes(_ bytes: [UInt8], _ style: DataQuoting.Style, inTxn: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        DataQuoting.write(bytes, style: style, avoidingReservedWords: inTxn, into: &out)
        return out
    }

    static func token(_ bytes: [UInt8], _ style: DataQuoting.Style, inTxn: Bool = false) -> String {
        String(decoding: tokenBytes(bytes, style, inTxn: inTxn), as: UTF8.self)
    }

    @Test func theProtocolTable() {
        let a = Array("a ".utf8) + [0xff]
        #expect(Self.token(Array("foo".utf8), .canonical) == "foo")
        #expect(Self.token([], .canonical) == "\"\"")
        #expect(Self.token(a, .canonical) == "\"a \\xff\"")
        #expect(Self.token(Array("x\"y".utf8), .canonical) == "x\"y")
        #expect(Self.token(Array("--x".utf8), .canonical) == "\"--x\"")
        #expect(Self.token([0, 9, 10, 13, 0x7f, 0x80, 0xff], .canonical) == "\"\\0\\t\\n\\r\\x7f\\x80\\xff\"")
        #expect(Self.token(Array("foo".utf8), .quoted) == "\"foo\"")
        #expect(Self.token(a, .hexEscaped) == "\"a \\xFF\"")
        #expect(Self.token(Array("then".utf8), .canonical) == "then")
        #expect(Self.token(Array("then".utf8), .canonical, inTxn: true) == "\"then\"")
    }

    /// Every style reads back as the same bytes, whatever the bytes.
    @Test(arguments: DataQuoting.Style.allCases)
    func everyStyleRoundTrips(style: DataQuoting.Style) throws {
        var random = SplitMix64(seed: 77)
        for _ in 0..<2_000 {
            let value = (0..<random.int(in: 0...12)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let line = Array("PUT k ".utf8) + Self.tokenBytes(value, style)
            let decoded = try #require(try RequestDecoder.decode(line))
            guard case .put(let put) = decoded.request else { Issue.record("not a PUT: \(line)"); continue }
            #expect(put.value == value, "\(FuzzReport.preview(Self.tokenBytes(value, style)))")
        }
    }
}
