import KVProtocol
import Testing
@testable import KVServer

/// `HTTPRequestParser`: every case fed all at once, byte by byte and at every two-way split gives the
/// same events; limits answer their statuses; a fuzz run of mutated requests never traps and keeps
/// its bounds.
@Suite struct HTTPRequestParserTests {
    typealias Event = HTTPRequestParser.Event

    static let limits = HTTPRequestParser.Limits(requestLineBytes: 64, headerBytes: 256, headerFields: 8, bodyBytes: 32,
                                                 chunkLineBytes: 24)

    /// Feeds `chunks` in order, collecting events after each; stops after a failure.
    static func run(_ chunks: [[UInt8]], limits: HTTPRequestParser.Limits = limits) -> (events: [Event], leftover: Int) {
        var parser = HTTPRequestParser(limits: limits)
        var input = ByteBuffer()
        var events: [Event] = []
        for chunk in chunks {
            input.writeBytes(chunk)
            while let event = parser.next(from: &input) {
                events.append(event)
                if case .failure = event { return (events, input.readableBytes) }
            }
        }
        return (events, input.readableBytes)
    }

    static func request(_ method: String = "GET", _ target: String = "/", path: String? = nil, query: String = "",
                        version: HTTPRequest.Version = .http11, headers: [(String, String)] = [("Host", "x")],
                        body: String = "", keepAlive: Bool = true, declaresBody: Bool = false) -> Event {
        .request(HTTPRequest(method: method, target: target, path: path ?? target, query: query, version: version,
                             headers: headers.map { .init(name: $0.0, lowercasedName: $0.0.lowercased(), value: $0.1) },
                             body: Array(body.utf8), keepAlive: keepAlive, declaresBody: declaresBody))
    }

    /// Input, and the expected events (a failure compared by status only).
    static let cases: [(String, [Event])] = [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", [request()]),
        ("GET / HTTP/1.1\nHost: x\n\n", [request()]),
        ("\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", [request()]),
        ("GET /a%2Fb?x=1&y HTTP/1.1\r\nHost:   x  \r\n\r\n", [request("GET", "/a%2Fb?x=1&y", path: "/a/b", query: "x=1&y")]),
        ("GET http://example.com/health?exclude=NOSPACE HTTP/1.1\r\nHost: x\r\n\r\n",
         [request("GET", "http://example.com/health?exclude=NOSPACE", path: "/health", query: "exclude=NOSPACE")]),
        ("GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n", [request("GET", "http://example.com", path: "/")]),
        ("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", [request("OPTIONS", "*")]),
        ("GET / HTTP/1.0\r\n\r\n", [request(version: .http10, headers: [], keepAlive: false)]),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
         [request(version: .http10, headers: [("Connection", "Keep-Alive")], keepAlive: true)]),
        ("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n",
         [request(headers: [("Host", "x"), ("Connection", "keep-alive, close")], keepAlive: false)]),
        ("GET / HTTP/1.9\r\nHost: x\r\n\r\n", [request()]),
        // Bodies.
        ("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
         [request("POST", "/v3/kv/put", headers: [("Host", "x"), ("Content-Length", "5")], body: "hello", declaresBody: true)]),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
         [request("POST", headers: [("Host", "x"), ("Content-Length", "0")], declaresBody: true)]),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nhi",
         [request("POST", headers: [("Host", "x"), ("Content-Length", "2, 2")], body: "hi", declaresBody: true)]),
        ("POST / HTTP/1.1\r\nHost: x\r\n\r\n", [request("POST")]),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
         [request("POST", headers: [("Host", "x"), ("Transfer-Encoding", "chunked")], body: "hello world", declaresBody: true)]),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\nA\nabcdefghij\n0\n\n",
         [request("POST", headers: [("Host", "x"), ("Transfer-Encoding", "Chunked")], body: "abcdefghij", declaresBody: true)]),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
         [.sendContinue, request("POST", headers: [("Host", "x"), ("Content-Length", "3"), ("Expect", "100-continue")],
                                 body: "abc", declaresBody: true)]),
        // Pipelining.
        ("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", [request("GET", "/a"), request("GET", "/b")]),
        ("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nzGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
         [request("POST", "/a", headers: [("Host", "x"), ("Content-Length", "1")], body: "z", declaresBody: true),
          request("GET", "/b")]),
    ]

    /// Input and the status of the failure it ends with (after any events before it).
    static let failures: [(String, HTTPStatus)] = [
        ("GET /\r\n\r\n", .badRequest),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", .badRequest),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", .badRequest),
        ("GET / HTTP/11\r\nHost: x\r\n\r\n", .badRequest),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", .httpVersionNotSupported),
        ("GET / HTTP/0.9\r\nHost: x\r\n\r\n", .httpVersionNotSupported),
        ("GET / HTTP/1.1\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1\r\nHost: x\u{1}y\r\n\r\n", .badRequest),
        ("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", .badRequest),
        ("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", .badRequest),
        ("GET relative HTTP/1.1\r\nHost: x\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 33\r\n\r\n", .contentTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", .contentTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .notImplemented),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", .badRequest),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n21\r\n", .contentTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + String(repeating: "a", count: 32) + "\r\n1\r\n", .contentTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", .contentTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 30), .badRequest),
        ("GET / HTTP/1.1\r\nHost: x\r\nExpect: gold\r\n\r\n", .expectationFailed),
        ("GET /" + String(repeating: "a", count: 64) + " HTTP/1.1\r\n", .uriTooLong),
        ("GET /" + String(repeating: "a", count: 80), .uriTooLong),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 240) + "\r\n\r\n", .headerFieldsTooLarge),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 300), .headerFieldsTooLarge),
        ("GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 9) + "\r\n", .headerFieldsTooLarge),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "T: trailer\r\n", count: 30), .headerFieldsTooLarge),
    ]

    /// The same bytes at once, byte by byte and at every split point.
    static func splits(_ bytes: [UInt8]) -> [[[UInt8]]] {
        var all: [[[UInt8]]] = [[bytes], bytes.map { [$0] }]
        for split in 1..<max(1, bytes.count) { all.append([Array(bytes[..<split]), Array(bytes[split...])]) }
        return all
    }

    @Test(arguments: 0..<cases.count)
    func parses(_ index: Int) {
        let (input, expected) = Self.cases[index]
        for chunks in Self.splits(Array(input.utf8)) {
            let (events, leftover) = Self.run(chunks)
            #expect(events == expected, "\(input.debugDescription) in \(chunks.count) chunks")
            #expect(leftover == 0)
        }
    }

    @Test(arguments: 0..<failures.count)
    func fails(_ index: Int) {
        let (input, status) = Self.failures[index]
        for chunks in Self.splits(Array(input.utf8)) {
            let (events, _) = Self.run(chunks)
            guard case .failure(let failure) = events.last else {
                Issue.record("\(input.debugDescription) in \(chunks.count) chunks: no failure, events \(events)")
                return
            }
            #expect(failure.status == status, "\(input.debugDescription) in \(chunks.count) chunks: \(failure.message)")
        }
    }

    @Test func partialInputWaits() {
        #expect(Self.run([Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)]).events.isEmpty)
        #expect(Self.run([Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabc".utf8)]).events.isEmpty)
        var parser = HTTPRequestParser(limits: Self.limits)
        var input = ByteBuffer("GET / HT")
        #expect(parser.next(from: &input) == nil && parser.isReadingHead(input))
        input = ByteBuffer()
        #expect(!parser.isReadingHead(input))
    }

    @Test func failureStopsTheParser() {
        var parser = HTTPRequestParser(limits: Self.limits)
        var input = ByteBuffer("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        guard case .failure = parser.next(from: &input) else { Issue.record("expected a failure"); return }
        #expect(parser.next(from: &input) == nil && parser.hasFailed)
    }

    /// Random byte mutations, insertions and cuts of valid requests, split at random: the parser never
    /// traps, never holds more input than a head limit plus one read, and ends every request with an
    /// event or waits; the events do not depend on the split.
    @Test func fuzz() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("HTTPRequestParserTests.fuzz seed=\(seed)")
        var rng = SplitMix(seed: seed)
        let corpus = Self.cases.map { Array($0.0.utf8) } + Self.failures.map { Array($0.0.utf8) }
        let alphabet = Array("GETPOST /:\r\n0123456789abcdefHTTP/1.1chunked;,Content-Length Transfer-Encoding".utf8) + [0, 0x7f, 0xff, 0x09]
        for iteration in 0..<3000 {
            var bytes = corpus[Int(rng.next() % UInt64(corpus.count))]
            if Int(rng.next() % 4) == 0 { bytes += corpus[Int(rng.next() % UInt64(corpus.count))] }
            for _ in 0..<Int(rng.next() % 6) {
                let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0 where !bytes.isEmpty: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: if !bytes.isEmpty { bytes.remove(at: position) }
                }
            }
            var chunks: [[UInt8]] = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let size = 1 + Int(rng.next() % UInt64(min(rest.count, 40)))
                chunks.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            let whole = Self.run([bytes])
            let split = Self.run(chunks)
            #expect(whole.events == split.events, "iteration \(iteration), seed \(seed): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            #expect(split.leftover <= Self.limits.headerBytes + 40, "iteration \(iteration), seed \(seed)")
        }
    }
}
