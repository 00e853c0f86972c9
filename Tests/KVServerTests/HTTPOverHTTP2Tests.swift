import EtcdWire
import Glibc
import HPACK
import KVStore
import TestSupport
import Testing
@testable import KVServer

/// etcd's HTTP endpoints over HTTP/2 (h2c with prior knowledge, and TLS with ALPN `h2`): a stream whose
/// content type is not `application/grpc` gets the answer HTTP/1.1 gets — status, content type, body —
/// from the same handlers, beside gRPC calls on the same connection; request bodies are bounded as over
/// HTTP/1.1. Our own HTTP/2 test client, then curl when it is installed.
@Suite struct HTTPOverHTTP2Tests {
    /// A request's header fields as curl sends them over h2 (no content type unless given).
    static func headers(_ method: String, _ path: String, _ extra: [HeaderField] = []) -> [HeaderField] {
        [HeaderField(":method", method), HeaderField(":scheme", "http"), HeaderField(":path", path),
         HeaderField(":authority", "127.0.0.1")] + extra
    }

    static let json = [HeaderField("content-type", "application/json")]

    /// One request on a new stream of `client`: headers, the body if any, and the answer.
    static func exchange(_ client: GRPCTestClient, _ method: String, _ path: String, body: String? = nil,
                         headers extra: [HeaderField] = []) throws -> GRPCTestClient.HTTPAnswer {
        let stream = try client.open(headers: headers(method, path, extra), endStream: body == nil)
        if let body { try client.sendData(stream, Array(body.utf8), endStream: true) }
        return try client.httpAnswer(stream)
    }

    @Test func healthVersionMetricsAndUnknownPathsAnswerAsOverHTTP1() throws {
        let server = try TestServer()
        defer { server.stop() }
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        let http = try HTTPTestClient(endpoint: server.endpoint)
        for (method, path) in [("GET", "/health"), ("GET", "/health?exclude=NOSPACE"), ("GET", "/version"), ("GET", "/nope"),
                               ("GET", "/"), ("POST", "/health"), ("DELETE", "/version"), ("POST", "/v3alpha/kv/range")] {
            try http.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let expected = try http.response()
            let answer = try Self.exchange(h2, method, path)
            #expect(answer.status == expected.status, "\(method) \(path)")
            #expect(answer.header("content-type") == expected.headers["content-type"], "\(method) \(path)")
            #expect(answer.body == expected.body, "\(method) \(path): \(answer.text)")
            #expect(answer.header("content-length") == String(expected.body.count), "\(method) \(path)")
            #expect(answer.header("allow") == expected.headers["allow"], "\(method) \(path)")
            #expect(answer.header("date") != nil)
        }
        let health = try Self.exchange(h2, "GET", "/health")
        #expect(health.status == 200 && health.text == #"{"health":"true","reason":""}"#)
        #expect(health.header("content-type") == "application/json")
        let version = try Self.exchange(h2, "GET", "/version")
        #expect(version.text == #"{"etcdserver":"\#(Version.etcdCompatible)","etcdcluster":"\#(Version.etcdCluster)"}"#)
        let notFound = try Self.exchange(h2, "GET", "/nope")
        #expect(notFound.status == 404 && notFound.text == "404 page not found\n")
        #expect(notFound.header("x-content-type-options") == "nosniff")
        // HEAD: the headers of the answer, no body (the stream ends with them).
        let head = try Self.exchange(h2, "HEAD", "/version")
        #expect(head.status == 405 && head.body.isEmpty && head.header("content-length") == "19")

        // /metrics: the page, and the requests above counted as HTTP/2 ones.
        let metrics = try Self.exchange(h2, "GET", "/metrics")
        #expect(metrics.status == 200 && metrics.header("content-type") == PrometheusText.contentType)
        let page = try PrometheusPage(metrics.text)
        #expect(page.value("kvserver_requests_total", ["frontend": "http2"]) == 13)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "http2", "command": "/health"]) == 4)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "http1", "command": "/health"]) == 3)
        #expect(page.value("etcd_server_has_leader") == 1)
    }

    /// The JSON gateway's unary table (`GatewayTests.unary`) over HTTP/2: the same statuses and bodies.
    @Test func gatewayCallsAnswerAsOverHTTP1() throws {
        let server = try TestServer()
        defer { server.stop() }
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        for (path, body, status, expected) in GatewayTests.unary {
            let answer = try Self.exchange(h2, "POST", path, body: body, headers: Self.json)
            var text = expected
            for revision in (1...9).reversed() {
                text = text.replacingOccurrences("H\(revision)", GatewayTests.header(server, Int64(revision)))
            }
            #expect(answer.status == status, "\(path) \(body)")
            #expect(answer.text == text, "\(path) \(body)")
            #expect(answer.header("content-type") == "application/json")
            #expect(answer.header("access-control-allow-origin") == "*")
            #expect(answer.header("content-length") == String(answer.body.count))
        }
        // What etcd's mux answers itself, with its CORS headers.
        let bogus = try Self.exchange(h2, "POST", "/v3/kv/bogus", body: "{}")
        #expect(bogus.status == 404 && bogus.text == "Not Found\n" && bogus.header("access-control-allow-origin") == "*")
        let get = try Self.exchange(h2, "GET", "/v3/kv/range")
        #expect(get.status == 405 && get.text == "Method Not Allowed\n")
        let options = try Self.exchange(h2, "OPTIONS", "/v3/kv/range")
        #expect(options.status == 200 && options.body.isEmpty)
        #expect(options.header("access-control-allow-methods") == "POST, GET, OPTIONS, PUT, DELETE")
    }

    /// A put and a range through the gateway on one connection, a gRPC call between them on the same
    /// connection, and a body split over DATA frames with trailers at the end.
    @Test func gatewayAndGRPCShareAConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        let put = try Self.exchange(h2, "POST", "/v3/kv/put", body: #"{"key":"Zm9v","value":"YmFy"}"#)
        #expect(put.status == 200 && put.text == #"{"header":\#(GatewayTests.header(server, 2))}"#)
        let call = try h2.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))))
        #expect(call.status == 0 && call.messages.count == 1)
        // The range's body in three DATA frames, the stream ended by trailers.
        let stream = try h2.open(headers: Self.headers("POST", "/v3/kv/range"), endStream: false)
        for piece in [#"{"key""#, #":"Zm9"#, #"v"}"#] { try h2.sendData(stream, Array(piece.utf8), endStream: false) }
        try h2.sendHeaders(stream, [HeaderField("x-checksum", "none")], endStream: true)
        let range = try h2.httpAnswer(stream)
        #expect(range.status == 200 && range.text.contains(#""value":"YmFy""#), "\(range.text)")
        #expect(try server.store.get("a")?.value == b("1"))
    }

    /// The translation alone: header fields to a request (as HTTP/1.1's target rules take it), a
    /// response to header fields.
    @Test func headerFieldsTranslate() throws {
        let request = try #require(HTTPRequest(http2: Self.headers("GET", "/health%2Fx?exclude=NOSPACE&a=%41",
                                                                   [HeaderField("authorization", "tok")])))
        #expect(request.method == "GET" && request.path == "/health/x" && request.query == "exclude=NOSPACE&a=%41")
        #expect(request.queryValues("a") == ["A"] && request.version == .http2 && request.keepAlive)
        #expect(request.header("host") == "127.0.0.1" && request.header("authorization") == "tok")
        #expect(request.headers.allSatisfy { !$0.name.hasPrefix(":") })
        for bad in ["", "health", "/a%zz", "/a%4"] {
            #expect(HTTPRequest(http2: Self.headers("GET", bad)) == nil, "\(bad)")
        }
        let response = HTTPResponse.error(.methodNotAllowed, "Method Not Allowed", headers: [("Allow", "GET")])
        #expect(response.http2Head(contentLength: 19, date: "D") == [
            HeaderField(":status", "405"), HeaderField("content-type", "text/plain; charset=utf-8"), HeaderField("allow", "GET"),
            HeaderField("x-content-type-options", "nosniff"), HeaderField("content-length", "19"), HeaderField("date", "D"),
        ])
        #expect(HTTPResponse(status: .ok, contentType: nil).http2Head(contentLength: nil, date: "D")
                == [HeaderField(":status", "200"), HeaderField("date", "D")])
    }

    /// A gateway Watch is a stream of DATA frames, one `{"result":…}` line each; a server stopping ends
    /// it with etcd's status, as it ends a gRPC Watch.
    @Test func gatewayWatchStreamsOverHTTP2() throws {
        let server = try TestServer()
        defer { server.stop() }
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        let stream = try h2.open(headers: Self.headers("POST", "/v3/watch"), endStream: false)
        try h2.sendData(stream, Array(#"{"create_request":{"key":"Zm9v"}}"#.utf8), endStream: true)
        var lines = ""
        var headers: [HeaderField] = []
        while !lines.contains("events") {
            let frame = try h2.nextFrame()
            guard frame.stream == stream else { continue }
            if frame.type == 0x1 {
                headers = try h2.headerBlock(frame)
            } else if frame.type == 0x0 {
                lines += String(decoding: frame.payload, as: UTF8.self)
                if lines.contains(#""created":true"#) && !lines.contains("events") {
                    _ = try server.store.put(b("foo"), b("bar"))
                }
            }
            try #require(!frame.endStream, "the watch stream ended: \(lines)")
        }
        #expect(headers.contains(HeaderField(":status", "200")) && headers.contains(HeaderField("content-type", "application/json")))
        #expect(headers.first { $0.name == "content-length" } == nil)
        #expect(lines.hasPrefix(#"{"result":{"header":"#) && lines.contains(#""value":"YmFy""#), "\(lines)")
        server.stop()
        var ended = false
        while !ended {
            let frame = try h2.nextFrame()
            guard frame.stream == stream else { continue }
            if frame.type == 0x0 { lines += String(decoding: frame.payload, as: UTF8.self) }
            ended = frame.endStream
        }
        #expect(lines.hasSuffix(#"{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: server stopped","http_status":"Service Unavailable"}}"#),
                "\(lines)")
    }

    /// Bodies are bounded as over HTTP/1.1: a declared length over the limit, or DATA going over it, is
    /// answered 413 at once; what the client still sends is discarded, then the stream is reset with
    /// NO_ERROR; the connection goes on serving.
    @Test func requestBodiesAreBounded() throws {
        let server = try TestServer { $0.maxRequestBytes = 1024 }
        defer { server.stop() }
        let limit = HTTPRequest.bodyLimit(maxRequestBytes: 1024)
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        let declared = try h2.open(headers: Self.headers("POST", "/v3/kv/put", [HeaderField("content-length", String(limit + 1))]),
                                   endStream: false)
        let refused = try h2.httpAnswer(declared)
        #expect(refused.status == 413 && refused.text == "Content Too Large\n")

        // No declared length: the DATA that crosses the limit is answered; then up to one more limit is
        // discarded, and past it the stream is reset with NO_ERROR (0).
        let streamed = try h2.open(headers: Self.headers("POST", "/v3/kv/put"), endStream: false)
        try h2.sendData(streamed, [UInt8](repeating: UInt8(ascii: "x"), count: limit + 1), endStream: false)
        let tooLarge = try h2.httpAnswer(streamed)
        #expect(tooLarge.status == 413 && tooLarge.header("content-length") == "18")
        try h2.sendData(streamed, [UInt8](repeating: UInt8(ascii: "x"), count: limit + 1), endStream: false)
        var reset: UInt32?
        while reset == nil {
            let frame = try h2.nextFrame()
            if frame.stream == streamed && frame.type == 0x3 { reset = frame.payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
        }
        #expect(reset == 0)
        // A request at the limit is taken (and its JSON judged by the gateway).
        let atLimit = try Self.exchange(h2, "POST", "/v3/kv/put", body: String(repeating: " ", count: limit - 2) + "{}")
        #expect(atLimit.status == 400, "\(atLimit.text)")
        #expect(try Self.exchange(h2, "GET", "/health").status == 200)
    }

    /// The content type decides, as etcd decides: `application/grpc` (even `+proto`, or inside another
    /// type) goes to gRPC, anything else to the HTTP handlers.
    @Test func contentTypeChoosesGRPCOrHTTP() throws {
        let server = try TestServer()
        defer { server.stop() }
        let h2 = try GRPCTestClient(endpoint: server.endpoint)
        let grpcGet = try Self.exchange(h2, "GET", "/health", headers: [HeaderField("content-type", "application/grpc")])
        #expect(grpcGet.status == 405)
        let grpcWeb = try Self.exchange(h2, "POST", "/etcdserverpb.KV/Range", body: "",
                                        headers: [HeaderField("content-type", "application/grpc-web")])
        #expect(grpcWeb.status == 415)
        let plain = try Self.exchange(h2, "POST", "/etcdserverpb.KV/Range", body: "", headers: [HeaderField("content-type", "text/plain")])
        #expect(plain.status == 404 && plain.text == "404 page not found\n")
        let call = try h2.unary(.request(.range(RangeRequest(key: b("a")))))
        #expect(call.status == 0)
    }

    // MARK: curl

    @Test func curlOverH2CAndTLS() throws {
        guard ShellCommand.succeeds("command -v curl") else { return print("HTTPOverHTTP2Tests: skipped — curl is not installed") }
        guard let files = try TLSTestFiles.make(for: "HTTPOverHTTP2Tests") else { return }
        defer { files.remove() }
        let server = try TestServer { config in
            config.listenClientURLs = ["http://127.0.0.1:0", "https://127.0.0.1:0"]
            config.certFile = files.cert
            config.keyFile = files.key
        }
        defer { server.stop() }
        let plain = "http://" + server.endpoint
        let tls = "https://" + server.server.addresses[1].description
        for (base, flags) in [(plain, "--http2-prior-knowledge"), (tls, "--http2 --cacert \(files.ca)")] {
            let curl = "curl -sS --max-time 5 \(flags) -w '\\n%{http_code} %{http_version} %{content_type}'"
            let health = try ShellCommand.run("\(curl) \(base)/health", seconds: 10)
            #expect(health.output == #"{"health":"true","reason":""}"# + "\n200 2 application/json", "\(base): \(health.output)")
            let version = try ShellCommand.run("\(curl) \(base)/version", seconds: 10)
            #expect(version.output.hasPrefix(#"{"etcdserver":""#) && version.output.hasSuffix("\n200 2 application/json"),
                    "\(base): \(version.output)")
            let missing = try ShellCommand.run("\(curl) \(base)/nope", seconds: 10)
            #expect(missing.output == "404 page not found\n\n404 2 text/plain; charset=utf-8", "\(base): \(missing.output)")
            let put = try ShellCommand.run(#"\#(curl) \#(base)/v3/kv/put -d '{"key":"Zm9v","value":"YmFy"}'"#, seconds: 10)
            #expect(put.output.contains(#""revision":""#) && put.output.hasSuffix("\n200 2 application/json"), "\(base): \(put.output)")
            let range = try ShellCommand.run(#"\#(curl) \#(base)/v3/kv/range -d '{"key":"Zm9v"}'"#, seconds: 10)
            #expect(range.output.contains(#""value":"YmFy""#) && range.output.hasSuffix("\n200 2 application/json"),
                    "\(base): \(range.output)")
            let metrics = try ShellCommand.run("\(curl) -o /dev/null \(base)/metrics", seconds: 10)
            #expect(metrics.output == "\n200 2 text/plain; version=0.0.4; charset=utf-8", "\(base): \(metrics.output)")
        }
    }
}
