import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// `--max-request-bytes` limits the request as decoded, measured as etcd measures it (the size of its
/// protobuf encoding, `Request.encodedSize`), whatever its spelling on the line; the line length is only
/// the framing guard (the limit plus 64 KiB).
@Suite struct RequestLimitTests {
    static let tooLarge = #"ERR TOO_LARGE "etcdserver: request is too large""#

    static func repeated(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }

    /// With `--max-request-bytes=1000`: (request line, the reply's start). A put of a 1-byte key costs
    /// 7 bytes besides its value (`0a 01 6b 12 xx xx`), 6 when the value's length fits in one byte.
    static let cases: [(String, String)] = [
        ("PUT k " + repeated("v", 994), "OK rev="),
        ("@t PUT k " + repeated("v", 995), "@t \(tooLarge) size=1001 limit=1000"),
        ("PUT k " + repeated("v", 66_000), "\(tooLarge) size=66007 limit=1000"),
        // 900 bytes written as \xHH escapes: 3,606 bytes on the line, 906 decoded.
        ("PUT k \"" + repeated("\\xff", 900) + "\"", "OK rev="),
        // Ten 900-byte puts: 913 bytes each once wrapped in a RequestOp and the success list.
        ("TXN THEN " + (0..<10).map { "PUT k\($0) " + repeated("v", 900) }.joined(separator: " ") + " END",
         "\(tooLarge) size=9130 limit=1000"),
        ("TXN IF VALUE k = " + repeated("v", 990) + " THEN PUT k x END", "\(tooLarge) size=1011 limit=1000"),
        ("TXN THEN TXN THEN TXN THEN PUT k " + repeated("v", 980) + " END END END", "\(tooLarge) size=1004 limit=1000"),
        ("GET " + repeated("k", 998), "\(tooLarge) size=1001 limit=1000"),
        ("GET " + repeated("k", 997), "OK rev="),
        ("DEL a " + repeated("z", 996), "\(tooLarge) size=1002 limit=1000"),
        ("WATCH " + repeated("w", 996), "\(tooLarge) size=1002 limit=1000"),
        ("LEASE-GRANT 60 " + (0..<150).map { "key\($0)" }.joined(separator: " "), "\(tooLarge) size=1092 limit=1000"),
        ("PUT k " + repeated("v", 993) + " --ttl=60", "\(tooLarge) size=1001 limit=1000"),
        ("ROLE-GRANT r read " + repeated("a", 996), "\(tooLarge) size=1005 limit=1000"),
        ("PING", "OK"),
    ]

    @Test func requestsAreMeasuredAsDecoded() throws {
        let server = try TestServer { $0.maxRequestBytes = 1000 }
        defer { server.stop() }
        let raw = try server.raw()
        for (line, expected) in Self.cases {
            try raw.send(line + "\n")
            let reply = try raw.line()
            #expect(reply.hasPrefix(expected), "\(line.prefix(60))… → \(reply.prefix(120))")
        }
        // Only the two puts within the limit were applied.
        let stored = try #require(try server.store.get("k"))
        #expect(stored.value.count == 900 && stored.value.allSatisfy { $0 == 0xff })
        #expect(stored.version == 2)
        #expect(try server.store.get("k0") == nil)
    }

    /// At the default limit (etcd's 1.5 MiB) the largest value a 1-byte key can carry is 1,572,857 bytes.
    @Test func theDefaultLimitHoldsExactly() throws {
        let server = try TestServer()
        defer { server.stop() }
        let raw = try server.raw()
        try raw.send("PUT k " + Self.repeated("v", 1_572_857) + "\n")
        #expect(try raw.line().hasPrefix("OK rev="))
        try raw.send("@over PUT k " + Self.repeated("v", 1_572_858) + "\n")
        #expect(try raw.line() == "@over \(Self.tooLarge) size=1572865 limit=1572864")
        #expect(try server.store.get("k")?.value.count == 1_572_857)
    }

    /// The same check reaches a client through `KVClient` as etcd's error.
    @Test func clientsSeeEtcdsError() throws {
        let server = try TestServer { $0.maxRequestBytes = 100 }
        defer { server.stop() }
        let client = try server.client()
        let error = try #require(throws: ClientError.self) {
            _ = try client.call(.put(PutRequest(key: Array("k".utf8), value: [UInt8](repeating: 0, count: 100))))
        }
        #expect(error.wire == .store(.requestTooLarge(size: 105, limit: 100)))
        #expect(error.description.contains("etcdserver: request is too large"))
        _ = try client.call(.put(PutRequest(key: Array("k".utf8), value: [UInt8](repeating: 0, count: 93))))
    }
}
