import Glibc
import KVPosix
import KVStore
import Testing
@testable import KVServer

/// etcd's JSON gateway over loopback: every kind of path (request JSON → response JSON, byte for byte
/// with etcd 3.4's shapes), error bodies and statuses, the Watch and LeaseKeepAlive streams, auth through
/// `Authorization`, and the limits. (etcd itself, curl and etcd3gw are in `GatewayRealClientTests`.)
@Suite struct GatewayTests {
    /// etcd's response header JSON for this server at `revision` (0: none, as MemberList's).
    static func header(_ server: TestServer, _ revision: Int64) -> String {
        let identity = server.server.state.identity
        let rev = revision == 0 ? "" : #""revision":"\#(revision)","#
        return #"{"cluster_id":"\#(identity.clusterID)","member_id":"\#(identity.memberID)",\#(rev)"raft_term":"2"}"#
    }

    static func post(_ path: String, _ body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// A request in order on one connection, its status, and its body with `H<rev>` standing for the header.
    static let unary: [(path: String, body: String, status: Int, expected: String)] = [
        ("/v3/kv/put", #"{"key":"Zm9v","value":"YmFy"}"#, 200, #"{"header":H2}"#),
        ("/v3/kv/range", #"{"key":"Zm9v"}"#, 200,
         #"{"header":H2,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}"#),
        ("/v3beta/kv/range", #"{"key":"Zm9v","keys_only":true}"#, 200,
         #"{"header":H2,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1"}],"count":"1"}"#),
        ("/v3/kv/put", #"{"key":"Zm9v","value":"YmF6","prev_kv":true}"#, 200,
         #"{"header":H3,"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}"#),
        ("/v3/kv/range", #"{"key":"Zm9v","revision":"100"}"#, 400,
         #"{"error":"etcdserver: mvcc: required revision is a future revision","message":"etcdserver: mvcc: required revision is a future revision","code":11}"#),
        ("/v3/kv/range", "", 400, #"{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}"#),
        ("/v3/kv/range", #"{"key":"Zm9v""#, 400, #"{"error":"unexpected EOF","message":"unexpected EOF","code":3}"#),
        ("/v3/kv/txn", #"{"compare":[{"key":"Zm9v","target":"VERSION","result":"EQUAL","version":"2"}],"success":[{"request_delete_range":{"key":"Zm9v"}}]}"#,
         200, #"{"header":H4,"succeeded":true,"responses":[{"response_delete_range":{"header":{"revision":"4"},"deleted":"1"}}]}"#),
        ("/v3/kv/deleterange", #"{"key":"Zm9v"}"#, 200, #"{"header":H4}"#),
        ("/v3/kv/compaction", #"{"revision":"3"}"#, 200, #"{"header":H4}"#),
        ("/v3/kv/range", #"{"key":"Zm9v","revision":2}"#, 400,
         #"{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}"#),
        ("/v3/lease/grant", #"{"TTL":"60","ID":"1000"}"#, 200, #"{"header":H4,"ID":"1000","TTL":"60"}"#),
        ("/v3/kv/lease/leases", "{}", 200, #"{"header":H4,"leases":[{"ID":"1000"}]}"#),
        ("/v3/lease/revoke", #"{"ID":1000}"#, 200, #"{"header":H4}"#),
        ("/v3/kv/lease/revoke", #"{"ID":"1000"}"#, 404,
         #"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#),
        ("/v3/kv/lease/timetolive", #"{"ID":"1000"}"#, 200, #"{"header":H4,"ID":"1000","TTL":"-1"}"#),
        ("/v3/maintenance/alarm", #"{"action":"GET"}"#, 200, "{}"),
        ("/v3/maintenance/defragment", "{}", 200, "{}"),
        ("/v3/cluster/member/remove", #"{"ID":"5"}"#, 404,
         #"{"error":"etcdserver: member not found","message":"etcdserver: member not found","code":5}"#),
        ("/v3/auth/user/add", #"{"name":"root","password":"pw"}"#, 200, #"{"header":H4}"#),
        ("/v3/auth/user/add", #"{"name":"root","password":"pw"}"#, 412,
         #"{"error":"etcdserver: user name already exists","message":"etcdserver: user name already exists","code":9}"#),
        ("/v3/auth/user/list", "{}", 200, #"{"header":H4,"users":["root"]}"#),
        ("/v3/auth/role/add", #"{"name":"r"}"#, 200, #"{"header":H4}"#),
        ("/v3/auth/role/grant", #"{"name":"r","perm":{"permType":"READWRITE","key":"YQ==","range_end":"Yg=="}}"#, 200, #"{"header":H4}"#),
        ("/v3/auth/role/get", #"{"role":"r"}"#, 200, #"{"header":H4,"perm":[{"permType":"READWRITE","key":"YQ==","range_end":"Yg=="}]}"#),
    ]

    @Test func unaryPathsAnswerAsEtcd() throws {
        let server = try TestServer()
        defer { server.stop() }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        for (path, body, status, expected) in Self.unary {
            try http.send(Self.post(path, body))
            let response = try http.response()
            var text = expected
            for revision in (1...9).reversed() { text = text.replacingOccurrences("H\(revision)", Self.header(server, Int64(revision))) }
            #expect(response.status == status, "\(path) \(body)")
            #expect(response.text == text, "\(path) \(body)")
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["access-control-allow-origin"] == "*")
        }
        try http.send(Self.post("/v3/cluster/member/list", "{}"))
        #expect(try http.response().text.hasPrefix(#"{"header":\#(Self.header(server, 0)),"members":[{"ID":""#))
        try http.send(Self.post("/v3/maintenance/status", "{}"))
        #expect(try http.response().text.contains(#""version":"3.5.0","dbSize":""#))
    }

    /// What etcd's mux answers itself: unknown paths, other methods, CORS preflight; and body limits.
    @Test func routesAndLimits() throws {
        let server = try TestServer { $0.maxRequestBytes = 1024 }
        defer { server.stop() }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.post("/v3/kv/bogus", "{}"))
        let bogus = try http.response()
        #expect(bogus.status == 404 && bogus.text == "Not Found\n")
        try http.send(Self.post("/v3alpha/kv/range", "{}"))
        let alpha = try http.response()
        #expect(alpha.status == 404 && alpha.text == "404 page not found\n")
        try http.send("GET /v3/kv/range HTTP/1.1\r\nHost: x\r\n\r\n")
        let get = try http.response()
        #expect(get.status == 405 && get.text == "Method Not Allowed\n")
        try http.send("OPTIONS /v3/kv/range HTTP/1.1\r\nHost: x\r\n\r\n")
        let options = try http.response()
        #expect(options.status == 200 && options.body.isEmpty)
        #expect(options.headers["access-control-allow-methods"] == "POST, GET, OPTIONS, PUT, DELETE")
        // A value over the request limit, in a body the HTTP layer takes (base64 and JSON cost more than
        // the request): etcd's error, as etcd answers.
        try http.send(Self.post("/v3/kv/put", #"{"key":"YQ==","value":"\#(Base64Text.of(count: 1500))"}"#))
        let tooLarge = try http.response()
        #expect(tooLarge.status == 400 && tooLarge.text.contains("etcdserver: request is too large"))
        // A body over the HTTP layer's limit is refused before it is buffered.
        let limit = HTTPRequest.bodyLimit(maxRequestBytes: 1024)
        try http.send("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: \(limit + 1)\r\n\r\n")
        #expect(try http.response().status == 413)
        #expect(http.readsEndOfStream())
    }

    @Test func authTokenComesInTheAuthorizationHeader() throws {
        let server = try TestServer()
        defer { server.stop() }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        for (path, body) in [("/v3/auth/user/add", #"{"name":"root","password":"rootpw"}"#),
                             ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#), ("/v3/auth/enable", "{}")] {
            try http.send(Self.post(path, body))
            #expect(try http.response().status == 200, "\(path)")
        }
        try http.send(Self.post("/v3/kv/range", #"{"key":"YQ=="}"#))
        let anonymous = try http.response()
        #expect(anonymous.status == 400 && anonymous.text.contains("etcdserver: user name is empty"))
        try http.send(Self.post("/v3/auth/authenticate", #"{"name":"root","password":"wrong"}"#))
        let refused = try http.response()
        #expect(refused.status == 400 && refused.text.contains("authentication failed"))
        try http.send(Self.post("/v3/auth/authenticate", #"{"name":"root","password":"rootpw"}"#))
        let login = try http.response()
        #expect(login.status == 200)
        let token = try #require(login.text.split(separator: "\"").dropLast().last.map(String.init))
        try http.send(Self.post("/v3/kv/put", #"{"key":"YQ==","value":"MQ=="}"#, headers: "Authorization: \(token)\r\n"))
        #expect(try http.response().status == 200)
        try http.send(Self.post("/v3/kv/range", #"{"key":"YQ=="}"#, headers: "Authorization: bogus\r\n"))
        let bogus = try http.response()
        #expect(bogus.status == 401 && bogus.text.contains("etcdserver: invalid auth token"))
        try http.send(Self.post("/v3/auth/disable", "{}", headers: "Authorization: \(token)\r\n"))
        #expect(try http.response().status == 200)
    }

    @Test func watchStreamServesSeveralCreatesFromOneBody() throws {
        let server = try TestServer()
        defer { server.stop() }
        try server.store.put("a", "1")
        do {
            let http = try HTTPTestClient(endpoint: server.endpoint)
            try http.send(Self.post("/v3/watch", #"{"create_request":{"key":"YQ==","start_revision":"1"}} {"create_request":{"key":"YQ==","range_end":"Yg==","prev_kv":true}} {"progress_request":{}} {"cancel_request":{"watch_id":"9"}}"#))
            let head = try http.response()
            #expect(head.status == 200 && head.headers["transfer-encoding"] == "chunked")
            let h2 = Self.header(server, 2)
            // The body's requests are answered first, then the history (as etcd 3.4 orders them).
            #expect(try http.chunk() == #"{"result":{"header":\#(h2),"created":true}}"# + "\n")
            #expect(try http.chunk() == #"{"result":{"header":\#(h2),"watch_id":"1","created":true}}"# + "\n")
            #expect(try http.chunk() == #"{"result":{"header":\#(h2),"watch_id":"-1"}}"# + "\n")
            #expect(try http.chunk() == #"{"result":{"header":\#(h2),"events":[{"kv":{"key":"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}}]}}"# + "\n")
            try server.store.delete("a")
            let h3 = Self.header(server, 3)
            #expect(try http.chunk() == #"{"result":{"header":\#(h3),"events":[{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"3"}}]}}"# + "\n")
            #expect(try http.chunk() == #"{"result":{"header":\#(h3),"watch_id":"1","events":[{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"3"},"prev_kv":{"key":"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}}]}}"# + "\n")
            // The stream stays open after its body: closing the connection (leaving this block) ends the watches.
            #expect(try eventually { server.server.state.store.statistics.watchers == 2 })
        }
        #expect(try eventually { server.server.state.store.statistics.watchers == 0 })
    }

    @Test func keepAliveStreamAnswersEachRenewalThenEnds() throws {
        let server = try TestServer()
        defer { server.stop() }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.post("/v3/lease/grant", #"{"TTL":"60","ID":"77"}"#))
        #expect(try http.response().status == 200)
        try http.send(Self.post("/v3/lease/keepalive", #"{"ID":"77"} {"ID":78}"#))
        #expect(try http.response().status == 200)
        let h = Self.header(server, 1)
        #expect(try http.chunk() == #"{"result":{"header":\#(h),"ID":"77","TTL":"60"}}"# + "\n")
        #expect(try http.chunk() == #"{"result":{"header":\#(h),"ID":"78"}}"# + "\n")
        #expect(try http.chunk() == "")
        // The connection serves the next request.
        try http.send(Self.post("/v3/lease/keepalive", #"{"ID":"77""#))
        let bad = try http.response()
        #expect(bad.status == 500 && bad.text == #"{"error":"unexpected EOF","message":"unexpected EOF","code":2}"#)
    }

    /// A watch reader that stops reading costs the server at most about `--max-output-bytes` of output;
    /// when it reads again it gets every event, in order.
    @Test func stalledWatchReaderIsBoundedAndCatchesUp() throws {
        let limit = 64 * 1024
        let server = try TestServer { $0.maxOutputBytes = limit }
        defer { server.stop() }
        let http = try HTTPTestClient(endpoint: server.endpoint, timeout: 10_000_000_000)
        try http.send(Self.post("/v3/watch", #"{"create_request":{"key":"aw==","range_end":"bA=="}}"#))
        #expect(try http.response().status == 200)
        #expect(try http.chunk().contains(#""created":true"#))
        let value = [UInt8](repeating: 0x76, count: 2048)
        let writes = 3000
        for index in 0..<writes { try server.store.put(Array("k\(index)".utf8), value) }
        // 3000 events of about 2.9 KB of JSON each: 8.7 MB, far more than the limit and the socket buffers.
        Thread.sleep(milliseconds: 300)
        let peak = server.server.state.peakOutputBytes.load(ordering: .relaxed)
        #expect(peak < limit + 64 * 3 * 1024, "peak output \(peak)")
        var seen = 0
        var lastRevision = 0
        while seen < writes {
            let line = try http.chunk()
            for revision in line.revisions(after: #""mod_revision":""#) {
                #expect(revision == lastRevision + 1 || lastRevision == 0)
                lastRevision = revision
                seen += 1
            }
        }
        #expect(seen == writes && lastRevision == writes + 1)
    }

    /// A range large enough to be read on the worker keeps pipelined answers in order.
    @Test func answersFromTheWorkerKeepTheirOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        for index in 0..<600 { try server.store.put("k\(index)", "v") }
        let http = try HTTPTestClient(endpoint: server.endpoint)
        try http.send(Self.post("/v3/kv/range", #"{"key":"aw==","range_end":"bA==","count_only":true}"#)
                      + Self.post("/v3/kv/range", #"{"key":"aw==","range_end":"bA==","limit":1,"keys_only":true}"#))
        #expect(try http.response().text.hasSuffix(#""count":"600"}"#))
        #expect(try http.response().text.hasSuffix(#""more":true,"count":"600"}"#))
    }
}

extension HTTPTestClient {
    /// The next chunk of a chunked body, as text ("" for the last, empty chunk).
    func chunk() throws -> String {
        var line: [UInt8] = []
        while line.suffix(2) != [0x0d, 0x0a] { line += try bytes(1) }
        let size = try #require(Int(String(decoding: line.dropLast(2), as: UTF8.self), radix: 16))
        let data = try bytes(size)
        #expect(try bytes(2) == [0x0d, 0x0a])
        if size == 0 { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

enum Base64Text {
    /// Base64 of `count` bytes of `x`.
    static func of(count: Int) -> String {
        String(repeating: "eHh4", count: count / 3)
    }
}

enum Thread {
    static func sleep(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// The integers following each occurrence of `marker` (up to the next quote).
    func revisions(after marker: String) -> [Int] {
        var found: [Int] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: marker) {
            rest = rest[range.upperBound...]
            let digits = rest.prefix { $0 != "\"" }
            if let value = Int(digits) { found.append(value) }
        }
        return found
    }
}
