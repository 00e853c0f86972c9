import Testing
@testable import KVServer

/// `ProtocolSniffer`: the verdict for each kind of first bytes, the same however the bytes are split,
/// and reached within its byte bound.
@Suite struct ProtocolSnifferTests {
    typealias Verdict = ProtocolSniffer.Verdict

    static let cases: [(String, Verdict)] = [
        // The line protocol: decided as soon as HTTP is impossible.
        ("PING\n", .line),
        ("GET foo\n", .line),
        ("GET foo\r\n", .line),
        ("PUT k v", .line),
        ("@7 GET foo\n", .line),
        ("HELLO 1\n", .line),
        ("GET /registry/a --prefix\n", .line),
        ("GET a HTTP/1.2\n", .line),
        ("GET a HTTP/1.1 x\n", .line),
        ("GET  /health HTTP/1.1\r\n", .line),
        ("GET \"/a b\" HTTP/1.1\n", .line),
        ("\t\n", .line),
        ("PRI * HTTP/2.0\r\n\r\nSX", .line),
        ("PRI * HTTP/1.1\r\n", .http1),
        // HTTP/1.x request lines.
        ("GET /health HTTP/1.1\r\n", .http1),
        ("GET /health HTTP/1.0\n", .http1),
        ("POST /v3/kv/range HTTP/1.1\r\nHost: x\r\n", .http1),
        ("\r\n\r\nGET / HTTP/1.1\r\n", .http1),
        ("get a HTTP/1.1\n", .http1),
        ("OPTIONS * HTTP/1.1\r\n", .http1),
        ("GET http://h/x?y=1 HTTP/1.1\r\n", .http1),
        // HTTP/2.
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .http2),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u{0}\u{0}\u{0}\u{4}", .http2),
        // Not decided yet: a prefix of either.
        ("", .undecided),
        ("GET", .undecided),
        ("GET /health", .undecided),
        ("GET /health HTTP/1.", .undecided),
        ("GET /health HTTP/1.1", .undecided),
        ("GET /health HTTP/1.1\r", .undecided),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r", .undecided),
        ("\r\n", .undecided),
    ]

    @Test(arguments: 0..<cases.count)
    func verdict(_ index: Int) {
        let (input, expected) = Self.cases[index]
        let bytes = Array(input.utf8)
        var whole = ProtocolSniffer()
        #expect(whole.feed(bytes) == expected, "\(input.debugDescription) at once")
        var drip = ProtocolSniffer()
        for byte in bytes { drip.feed([byte]) }
        #expect(drip.verdict == expected, "\(input.debugDescription) byte by byte")
        for split in 0...bytes.count {
            var two = ProtocolSniffer()
            two.feed(bytes[..<split])
            two.feed(bytes[split...])
            #expect(two.verdict == expected, "\(input.debugDescription) split at \(split)")
        }
    }

    @Test func decidedWithinTheByteBound() {
        var sniffer = ProtocolSniffer()
        let target = "GET /" + String(repeating: "a", count: ProtocolSniffer.maximumBytes)
        var fed = 0
        for byte in target.utf8 where sniffer.verdict == .undecided {
            sniffer.feed([byte])
            fed += 1
        }
        #expect(sniffer.verdict == .line && fed == ProtocolSniffer.maximumBytes)
        var newlines = ProtocolSniffer()
        #expect(newlines.feed([UInt8](repeating: 0x0a, count: ProtocolSniffer.maximumBytes)) == .line)
    }

    @Test func laterBytesChangeNothing() {
        var sniffer = ProtocolSniffer()
        #expect(sniffer.feed(Array("PING\n".utf8)) == .line)
        #expect(sniffer.feed(Array("GET / HTTP/1.1\r\n".utf8)) == .line)
        #expect(sniffer.examined == 5)
    }
}
