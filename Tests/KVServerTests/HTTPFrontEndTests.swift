import Glibc
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// The HTTP/1.1 front end over loopback, with exact bytes: etcd's endpoints, keep-alive and pipelining,
/// errors and limits, slow and non-reading clients, and curl when it is installed.
@Suite struct HTTPFrontEndTests {
    static let get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test func healthAndVersionExactBytes() throws {
        let server = try TestServer()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.get)
        let health = try http.response()
        #expect(health.headWithoutDate == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 29")
        #expect(health.text == #"{"health":"true","reason":""}"#)
        let date = try #require(health.headers["date"])
        #expect(date.hasSuffix(" GMT") && date.count == 29 && date.dropFirst(3).hasPrefix(", "))
        try http.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        let version = try http.response()
        #expect(version.headWithoutDate == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 44")
        #expect(version.text == #"{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}"#)
        server.stop()
    }

    /// The body limit of a server started with `--max-request-bytes 1024`.
    static let bodyLimit = HTTPRequest.bodyLimit(maxRequestBytes: 1024)

    /// Request (after a first good one on the same connection), status, and whether it stays open.
    static let answers: [(String, Int, Bool)] = [
        ("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, true),
        ("GET /v3/kv/range HTTP/1.1\r\nHost: x\r\n\r\n", 405, true),
        ("POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 400, true),
        ("POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400, true),
        ("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
        ("POST /v3alpha/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 404, true),
        ("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, true),
        ("HEAD /version HTTP/1.1\r\nHost: x\r\n\r\n", 405, true),
        ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, true),
        ("GET /heal%74h?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200, true),
        ("GET http://x/version HTTP/1.1\r\nHost: x\r\n\r\n", 200, true),
        ("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, false),
        ("GET /health HTTP/1.0\r\n\r\n", 200, false),
        ("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, true),
        ("GET / HTTP/1.1\r\n\r\n", 400, false),
        ("GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, false),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, false),
        ("GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n", 417, false),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, false),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(bodyLimit + 1)\r\n\r\n", 413, false),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "a", count: 1024)
            + "\r\n\(String(bodyLimit - 1023, radix: 16))\r\n", 413, false),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, false),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 70_000) + "\r\n\r\n", 431, false),
    ]

    @Test(arguments: 0..<answers.count)
    func answer(_ index: Int) throws {
        let (request, status, staysOpen) = Self.answers[index]
        let server = try TestServer { $0.maxRequestBytes = 1024 }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.get + request)
        #expect(try http.response().status == 200)
        let response = try http.response()
        #expect(response.status == status, "\(request.prefix(60).debugDescription)")
        #expect((response.headers["connection"] == "close") == !staysOpen)
        if staysOpen {
            try http.send(Self.get)
            #expect(try http.response().status == 200)
        } else {
            #expect(http.readsEndOfStream())
        }
        server.stop()
    }

    @Test func errorBodiesAndHeadersAreGos() throws {
        let server = try TestServer()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try http.response()
        #expect(refused.headWithoutDate == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nAllow: GET\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 19")
        #expect(refused.text == "Method Not Allowed\n")
        let missing = try http.response()
        #expect(missing.status == 404 && missing.text == "404 page not found\n")
        server.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        let paths = (0..<50).map { ["/health", "/version", "/nope"][$0 % 3] }
        try http.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for path in paths {
            let response = try http.response()
            #expect(response.status == (path == "/nope" ? 404 : 200))
            #expect(response.text.hasPrefix(path == "/health" ? #"{"health""# : path == "/version" ? #"{"etcdserver""# : "404"))
        }
        server.stop()
    }

    @Test func expectContinueGetsA100First() throws {
        let server = try TestServer()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        let proceed = try http.response()
        #expect(proceed.head == "HTTP/1.1 100 Continue")
        try http.send("{}")
        #expect(try http.response().status == 400)
        server.stop()
    }

    @Test func healthIs503WhileNoSpaceIsRaised() throws {
        let server = try TestServer { $0.quotaBackendBytes = 4096 }
        let client = try server.client()
        var refused = false
        for i in 0..<100 where !refused {
            do {
                _ = try client.call(.put(PutRequest(key: b("k\(i)"), value: [UInt8](repeating: 0x61, count: 200))))
            } catch {
                refused = true
            }
        }
        #expect(refused && server.server.state.isNoSpaceAlarmed)
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.get + "GET /health?exclude=NOSPACE HTTP/1.1\r\nHost: x\r\n\r\n")
        let unhealthy = try http.response()
        #expect(unhealthy.status == 503 && unhealthy.headers["content-type"] == "application/json")
        #expect(unhealthy.text == #"{"health":"false","reason":"ALARM NOSPACE"}"#)
        #expect(try http.response().status == 200)
        let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
        #expect(page.value("etcd_server_health_failures") == 1 && page.value("etcd_server_health_success") == 1)
        server.stop()
    }

    @Test func slowHeadersAreCutOff() throws {
        let server = try TestServer { $0.httpHeaderTimeout = 300_000_000 }
        let slow = try HTTPTestClient(endpoint: server.endpoint)
        let idle = try HTTPTestClient(endpoint: server.endpoint)
        try idle.send(Self.get)
        #expect(try idle.response().status == 200)
        let started = Posix.monotonicNanoseconds()
        try slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        let timeout = try slow.response()
        #expect(timeout.status == 408 && timeout.headers["connection"] == "close")
        #expect(Posix.monotonicNanoseconds() - started >= 300_000_000)
        #expect(slow.readsEndOfStream())
        // A connection idle between requests is not timed out.
        try idle.send(Self.get)
        #expect(try idle.response().status == 200)
        server.stop()
    }

    @Test func aRefusedUploadStillGetsItsAnswer() throws {
        let server = try TestServer { $0.maxRequestBytes = 1024 }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n")
        // The client keeps uploading after the refusal: the server lingers, so the 413 is not lost to a reset.
        try http.send([UInt8](repeating: 0x61, count: 512 * 1024))
        let response = try http.response()
        #expect(response.status == 413 && response.headers["connection"] == "close")
        server.stop()
    }

    @Test func aClientThatDoesNotReadIsPausedThenServed() throws {
        // An output limit below one response: every response pauses reading until it is flushed.
        let server = try TestServer { $0.maxOutputBytes = 64 }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        let count = 200
        try http.send((0..<count).map { _ in "GET /version HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for _ in 0..<count { #expect(try http.response().status == 200) }
        let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
        #expect((page.value("kvserver_output_pauses_total", ["frontend": "http1"]) ?? 0) >= 1)
        #expect(page.value("kvserver_output_pauses_total", ["frontend": "line"]) == 0)
        // Parsing stops at the limit: the output never held more than one response beyond it.
        #expect(server.server.state.peakOutputBytes.load(ordering: .relaxed) < 64 + 200)
        server.stop()
    }

    @Test func metricsCountHTTPRequests() throws {
        let server = try TestServer()
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.get + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try http.response()
        _ = try http.response()
        let metrics = try http.response()
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let page = try PrometheusPage(metrics.text)
        // The scrape counts itself as a request but not yet its latency or status.
        #expect(page.value("kvserver_requests_total", ["frontend": "http1"]) == 3)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "http1", "command": "/health"]) == 1)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "http1", "command": "other"]) == 1)
        #expect(page.value("kvserver_http_responses_total", ["code": "200"]) == 1)
        #expect(page.value("kvserver_http_responses_total", ["code": "404"]) == 1)
        server.stop()
    }

    // MARK: curl

    @Test func curl() throws {
        guard access("/usr/bin/curl", X_OK) == 0 else {
            print("HTTPFrontEndTests.curl skipped: /usr/bin/curl is not installed")
            return
        }
        let server = try TestServer()
        let url = "http://\(server.endpoint)"
        let health = try run(["/usr/bin/curl", "-sS", "--max-time", "5", url + "/health"])
        #expect(health.status == 0 && health.output == #"{"health":"true","reason":""}"#)
        let version = try run(["/usr/bin/curl", "-sS", "--max-time", "5", "--http1.0", url + "/version"])
        #expect(version.output == #"{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}"#)
        let metrics = try run(["/usr/bin/curl", "-sS", "--max-time", "5", url + "/metrics"])
        let page = try PrometheusPage(metrics.output)
        #expect(page.value("etcd_server_has_leader") == 1)
        // Two URLs on one keep-alive connection, then a POST with a body and one with Expect: 100-continue.
        let both = try run(["/usr/bin/curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n",
                            url + "/health", url + "/version"])
        #expect(both.output == "200 1\n200 0\n")
        let post = try run(["/usr/bin/curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                            "-H", "Expect: 100-continue", "-d", "{\"key\":\"Zm9v\"}", url + "/v3/kv/range"])
        #expect(post.output == "200")
        let chunked = try run(["/usr/bin/curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                               "-H", "Transfer-Encoding: chunked", "-d", "{}", url + "/v3/kv/range"])
        #expect(chunked.output == "400")
        // HTTP/2 with prior knowledge: a request that is not gRPC gets the same answer as over HTTP/1.1
        // (HTTPOverHTTP2Tests has the rest).
        let h2 = try run(["/usr/bin/curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                          "--http2-prior-knowledge", url + "/health"])
        #expect(h2.status == 0 && h2.output == "200 2")
        server.stop()
    }

    /// Runs a program to completion (bounded by its own timeout flags), returning its exit status and stdout.
    private func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw PosixError(call: "pipe", code: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArgs { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, argv[0], &actions, nil, &cArgs, environ)
        Glibc.close(pipe[1])
        guard spawned == 0 else {
            Glibc.close(pipe[0])
            throw PosixError(call: "posix_spawn", code: spawned)
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += chunk[..<count]
        }
        Glibc.close(pipe[0])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        return ((status >> 8) & 0xff, String(decoding: output, as: UTF8.self))
    }
}
