import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

@Suite struct BadInputTests {
    /// Each bad line gets one clear error reply, and the connection keeps working.
    @Test func badLinesAreAnsweredAndTheConnectionCarriesOn() throws {
        let server = try TestServer()
        let raw = try server.raw()
        let cases: [(String, String)] = [
            ("FOO bar", #"ERR UNKNOWN_COMMAND "unknown command 'FOO'""#),
            ("PUT \"abc", #"ERR PROTOCOL "unterminated quoted string starting at column 5""#),
            ("PUT foo", #"ERR ARGS "wrong number of arguments for 'PUT': expected 2, got 1""#),
            ("PING extra", #"ERR ARGS "wrong number of arguments for 'PING': expected 0, got 1""#),
            ("@t9 GET", #"@t9 ERR ARGS "wrong number of arguments for 'GET': expected 1 to 2, got 0""#),
            ("GET a --bogus", #"ERR ARGS "GET: unknown option '--bogus'""#),
            ("SNAPSHOT-NEXT", #"ERR ARGS "SNAPSHOT-NEXT: no snapshot in progress on this connection (send SNAPSHOT first)""#),
            ("DEFRAG now", #"ERR ARGS "wrong number of arguments for 'DEFRAG': expected 0, got 1""#),
            ("ALARM raise", #"ERR ARGS "ALARM: invalid action raise (LIST or DISARM)""#),
            ("HELLO 2", #"ERR UNSUPPORTED_VERSION "unsupported protocol version 2: this server speaks protocol 1" requested=2 supported=1"#),
            ("LEASE-REVOKE zz", #"ERR ARGS "LEASE-REVOKE: invalid hexadecimal id zz for <id>""#),
        ]
        for (line, expected) in cases {
            try raw.send(line + "\n")
            #expect(try raw.line() == expected, "\(line)")
        }
        // Invalid UTF-8 and raw control bytes outside quotes.
        try raw.send([0xff, 0xfe, 0x20, 0x41, 0x0a])
        #expect(try raw.line().hasPrefix("ERR PROTOCOL \"non-ASCII byte 0xff"))
        try raw.send([UInt8(ascii: "P"), 0x01, 0x0a])
        #expect(try raw.line().hasPrefix("ERR PROTOCOL"))
        // Quoted invalid UTF-8 is just bytes.
        try raw.send("PUT \"\\xff\\xfe\" \"caf\\xc3\"\n")
        #expect(try raw.line().hasPrefix("OK rev=2"))
        try raw.send("@ok PING\n")
        #expect(try raw.line() == "@ok OK")
        server.stop()
    }

    @Test func randomGarbageNeverStopsTheServer() throws {
        let server = try TestServer()
        var generator = SplitMix(seed: 0xbad_5eed)
        print("garbage seed: 0xbad5eed")
        for _ in 0..<20 {
            let raw = try server.raw()
            var garbage: [UInt8] = []
            for _ in 0..<Int(generator.next() % 4000) { garbage.append(UInt8(truncatingIfNeeded: generator.next())) }
            garbage.append(UInt8(ascii: "\n"))
            try raw.send(garbage)
            try raw.send("@alive PING\n")
            var sawPong = false
            for _ in 0..<10_000 {
                guard let line = try? raw.line() else { break }
                if line == "@alive OK" { sawPong = true; break }
                #expect(line.contains("ERR ") || line.hasPrefix("OK") || line.hasPrefix("@"), "\(line)")
            }
            #expect(sawPong)
        }
        let client = try server.client()
        _ = try client.call(.ping)
        server.stop()
    }

    @Test func overLongLineGetsTooLargeAndIsSkipped() throws {
        let server = try TestServer { $0.maxRequestBytes = 1000 }
        let raw = try server.raw()
        let value = String(repeating: "x", count: 200_000)
        try raw.send("@big PUT k \(value)\n@next PING\n")
        #expect(try raw.line() == #"@big ERR TOO_LARGE "etcdserver: request is too large" size=66537 limit=66536"#)
        #expect(try raw.line() == "@next OK")
        #expect(try server.store.get("k") == nil)
        server.stop()
    }

    @Test func clientDisconnectingMidRequest() throws {
        let server = try TestServer()
        do {
            let raw = try server.raw()
            try raw.send("PUT half-way \"unfinished")
        }
        do {
            let raw = try server.raw()
            try raw.send("PUT a b\nPUT c")
            try raw.socket.shutdown(.write)
            #expect(try raw.line().hasPrefix("OK rev=2"))
            #expect(raw.readsEndOfStream())
        }
        #expect(eventually { server.server.state.connectionCount.load(ordering: .relaxed) == 0 })
        let client = try server.client()
        _ = try client.call(.ping)
        #expect(try server.store.get("c") == nil)
        server.stop()
    }

    /// A client that sends requests and never reads: the server stops reading from it once its output
    /// reaches the limit, so its memory stays bounded, and other clients are still served.
    @Test func clientThatNeverReadsIsBounded() throws {
        let limit = 256 * 1024
        let server = try TestServer { $0.maxOutputBytes = limit }
        _ = try server.store.put("big", String(repeating: "v", count: 4000))
        let raw = try server.raw()
        try raw.socket.setReceiveBufferSize(4096)
        // Up to 64 MiB of requests (replies would total ~30 GiB); sending stalls once the server stops
        // reading and the kernel buffers are full.
        let request = Array("GET big\n".utf8)
        var batch: [UInt8] = []
        for _ in 0..<8192 { batch += request }
        var sent = 0
        try raw.socket.setSendTimeout(nanoseconds: 200_000_000)
        for _ in 0..<1024 {
            do { try raw.send(batch); sent += batch.count } catch { break }
        }
        #expect(sent < 1024 * batch.count, "the server should stop reading from a client that does not read")
        let peak = server.server.state.peakOutputBytes.load(ordering: .relaxed)
        #expect(peak < limit + 8 * 1024, "peak output \(peak)")
        let other = try server.client()
        guard case .range(let read) = try other.call(.range(RangeRequest(key: b("big")))) else { return }
        #expect(read.kvs.count == 1)
        server.stop()
    }

    @Test func gracefulStopFlushesRepliesAndRefusesNewClients() throws {
        let server = try TestServer()
        let client = try server.client()
        _ = try client.call(.ping)
        server.stop()
        #expect(throws: ClientError.self) { try client.call(.ping) }
        do {
            _ = try KVClient(endpoints: [server.endpoint], dialTimeout: .milliseconds(500))
            Issue.record("expected connection refused")
        } catch {
            #expect(error.kind == .connectionFailed)
            #expect(error.description == "dial tcp \(server.endpoint): connect: connection refused")
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
