import Glibc
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// One client port, three languages: each connection is classified once from its first bytes.
@Suite struct ClientPortTests {
    @Test func threeLanguagesAtOnceOnOnePort() throws {
        let server = try TestServer()
        let line = try server.raw()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        var h2: HTTPTestClient? = try HTTPTestClient(endpoint: server.endpoint)
        // All three connected before any speaks; they speak interleaved.
        try h2!.send("PRI * HTTP/2.0\r\n\r\n")
        try line.send("PUT a ")
        try http.send("GET /health HTTP/1.1\r\nHo")
        try h2!.send("SM\r\n\r\n" + "\u{0}\u{0}\u{0}\u{4}\u{0}\u{0}\u{0}\u{0}\u{0}")
        try line.send("b\nGET a\n")
        try http.send("st: x\r\n\r\n")

        #expect(try line.line().hasPrefix("OK rev=2 "))
        #expect(try line.line().hasSuffix("count=1 more=0 kvs=1 KV a b 2 2 1 0"))
        let health = try http.response()
        #expect(health.status == 200 && health.text == #"{"health":"true","reason":""}"#)
        // HTTP/2 (etcd's gRPC API): the server's first frame is its SETTINGS.
        let first = try h2!.bytes(9)
        #expect(first[3] == 0x4 && first[4] == 0)
        h2 = nil

        // The line and HTTP connections are still open and still speak their language.
        try line.send("PING\n")
        #expect(try line.line() == "OK")
        try http.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try http.response().text == #"{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}"#)

        let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
        #expect(page.value("kvserver_client_connections_accepted_total") == 3)
        for frontEnd in ["line", "http1", "http2"] {
            #expect(page.value("kvserver_client_connections_total", ["frontend": frontEnd]) == 1, "\(frontEnd)")
        }
        #expect(page.value("kvserver_client_connections_open", ["frontend": "sniffing"]) == 0)
        // Once the client closes, the HTTP/2 connection is gone.
        #expect(try eventually {
            let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
            return page.value("kvserver_client_connections_open", ["frontend": "http2"]) == 0
        })
        server.stop()
    }

    /// First lines the line protocol answers exactly as before.
    static let lineFirstLines: [(String, String)] = [
        ("PING\n", "OK"),
        ("@t PING\n", "@t OK"),
        ("\n\r\nPING\r\n", "OK"),
        ("HELLO 1\n", "OK proto=1 server=kvserver version=0.1.0 etcd=3.5.0"),
        ("GET /x HTTP/1.2\n", "OK "),
        ("FOO bar\n", #"ERR UNKNOWN_COMMAND "unknown command 'FOO'""#),
        ("PRI * HTTP/2.0\n", #"ERR UNKNOWN_COMMAND "unknown command 'PRI'""#),
    ]

    @Test(arguments: 0..<lineFirstLines.count)
    func lineProtocolFirstLines(_ index: Int) throws {
        let (request, reply) = Self.lineFirstLines[index]
        let server = try TestServer()
        let connection = try server.raw()
        try connection.send(request)
        let answer = try connection.line()
        #expect(answer == reply || (reply.hasSuffix(" ") && answer.hasPrefix(reply)), "\(request.debugDescription) → \(answer)")
        server.stop()
    }

    @Test func aSilentConnectionIsServedWheneverItSpeaks() throws {
        let server = try TestServer { $0.protocolSniffTimeout = 100_000_000 }
        let line = try server.raw()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        sleep(milliseconds: 300)
        try line.send("PING\n")
        #expect(try line.line() == "OK")
        try http.send("GET /version HTTP/1.0\r\n\r\n")
        #expect(try http.response().status == 200)
        server.stop()
    }

    @Test func aHalfSentRequestLineIsWaitedFor() throws {
        let server = try TestServer { $0.protocolSniffTimeout = 2_000_000_000 }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        for piece in ["GE", "T /hea", "lth HTTP/1", ".1\r", "\nHost: x\r\n\r\n"] {
            try http.send(piece)
            sleep(milliseconds: 50)
        }
        #expect(try http.response().status == 200)
        server.stop()
    }

    @Test func anUndecidedFirstLineGoesToTheLineProtocolAfterTheTimeout() throws {
        let server = try TestServer { $0.protocolSniffTimeout = 150_000_000 }
        let line = try server.raw()
        try line.send("GET /a")
        #expect(try eventually(seconds: 5) {
            let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
            return page.value("kvserver_protocol_sniff_timeouts_total") == 1
        })
        try line.send(" HTTP/1.1\n")
        // A GET of the range [/a, HTTP/1.1): answered by the line protocol, not HTTP.
        #expect(try line.line().hasSuffix("count=0 more=0 kvs=0"))
        server.stop()
    }

    @Test func aPartialFirstLineThenEndOfStreamIsDroppedAsBefore() throws {
        let server = try TestServer()
        let line = try server.raw()
        try line.send("PUT a")
        try line.socket.shutdown(.write)
        #expect(line.readsEndOfStream())
        #expect(try server.store.get("a") == nil)
        #expect(eventually { server.server.state.connectionCount.load(ordering: .relaxed) == 0 })
        server.stop()
    }

    @Test func connectionsThatCloseBeforeSpeakingAreForgotten() throws {
        let server = try TestServer()
        for _ in 0..<5 {
            _ = try server.raw()  // closed when released
        }
        #expect(try eventually {
            let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
            return page.value("kvserver_client_connections_accepted_total") == 5
                && page.value("kvserver_client_connections_open", ["frontend": "sniffing"]) == 0
                && server.server.state.connectionCount.load(ordering: .relaxed) == 0
        })
        server.stop()
    }
}

func sleep(milliseconds: Int) {
    var pause = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    nanosleep(&pause, nil)
}
