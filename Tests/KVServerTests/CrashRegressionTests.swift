import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// Lines a protocol fuzzer found that killed kvserver (issue "One line kills the server"), each sent to a
/// fresh server holding a few keys; after each, the server must still answer a PING and a GET. Every
/// read has `RawConnection`'s 5-second timeout, so a server that stops answering fails the test rather
/// than hanging it.
@Suite struct CrashRegressionTests {
    /// What a reply line must look like: its start and its end (the header in between carries ids that
    /// depend on the test server's port).
    struct Expect: CustomStringConvertible {
        let prefix: String
        let suffix: String
        var isExact = false

        static func exact(_ line: String) -> Expect { Expect(prefix: line, suffix: "", isExact: true) }
        static func ok(_ suffix: String, tag: String = "") -> Expect { Expect(prefix: tag + "OK rev=", suffix: suffix) }
        static func event(_ suffix: String, tag: String = "") -> Expect { Expect(prefix: tag + "EVENT rev=", suffix: suffix) }

        func matches(_ line: String) -> Bool {
            if isExact { return line == prefix }
            return line.hasPrefix(prefix) && line.hasSuffix(suffix) && line.count >= prefix.count + suffix.count
        }

        var description: String { isExact ? prefix : "\(prefix)…\(suffix)" }
    }

    /// One step of a reproducer, on a numbered connection (opened on first use): a line sent and the
    /// lines it must get back, in order; lines that must arrive without sending anything; or closing.
    enum Step {
        case send(Int, String, [Expect])
        case read(Int, [Expect])
        case close(Int)
    }

    /// A server holding `a`=1, `b`=2, `c`=3 (revisions 2, 3, 4).
    static func seededServer(_ configure: (inout ServerConfig) -> Void = { _ in }) throws -> TestServer {
        let server = try TestServer(configure)
        for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] { try server.store.put(key, value) }
        return server
    }

    /// The server still serves a new connection.
    static func expectHealthy(_ server: TestServer, after name: String) throws {
        let raw = try server.raw()
        try raw.send("@h PING\n@g GET a\n")
        #expect(try raw.line() == "@h OK", "PING after \(name)")
        let get = try raw.line()
        #expect(get.hasPrefix("@g OK rev=") && get.contains(" count=1 more=0 kvs=1 KV a "), "GET after \(name): \(get)")
    }

    static func run(_ steps: [Step], on server: TestServer, name: String) throws {
        var connections: [Int: RawConnection] = [:]
        for step in steps {
            switch step {
            case .send(let index, let line, let expected):
                if connections[index] == nil { connections[index] = try server.raw() }
                let raw = try #require(connections[index])
                try raw.send(line + "\n")
                for expect in expected {
                    let reply = try raw.line()
                    #expect(expect.matches(reply), "\(name): \(line.prefix(120)) → \(reply.prefix(300)), expected \(expect)")
                }
            case .read(let index, let expected):
                let raw = try #require(connections[index])
                for expect in expected {
                    let reply = try raw.line()
                    #expect(expect.matches(reply), "\(name): read \(reply.prefix(300)), expected \(expect)")
                }
            case .close(let index):
                connections[index] = nil
            }
        }
    }

    // MARK: 1. A range limit sized an allocation

    static let limits: [Int64] = [2_147_483_647, 4_294_967_296, 9_007_199_254_740_993,
                                  Int64.min, -1, 0, Int64.max - 1, Int64.max]

    static let allThree = "count=3 more=0 kvs=3 KV a 1 2 2 1 0 KV b 2 3 3 1 0 KV c 3 4 4 1 0"

    /// The request forms a limit reaches the store through, with the reply each must get whatever the limit.
    static let limitForms: [(name: String, line: @Sendable (Int64) -> String, reply: Expect)] = [
        ("one key", { "GET a --limit=\($0)" }, .ok(" count=1 more=0 kvs=1 KV a 1 2 2 1 0")),
        ("a range", { "GET a d --limit=\($0)" }, .ok(" " + allThree)),
        ("a sorted range", { "GET a d --limit=\($0) --sort-order=descend --sort-target=mod" },
         .ok(" count=3 more=0 kvs=3 KV c 3 4 4 1 0 KV b 2 3 3 1 0 KV a 1 2 2 1 0")),
        ("keys only", { "GET a --prefix --keys-only --limit=\($0)" }, .ok(#" count=1 more=0 kvs=1 KV a "" 2 2 1 0"#)),
        ("inside a TXN", { "TXN THEN GET a d --limit=\($0) END" }, .ok(" succeeded=1 responses=1 RANGE rev=4 term=0 cluster=0 member=0 " + allThree)),
        ("in both TXN branches", { "TXN IF VALUE a = 1 THEN GET a d --limit=\($0) ELSE GET a --limit=\($0) END" },
         .ok(" succeeded=1 responses=1 RANGE rev=4 term=0 cluster=0 member=0 " + allThree)),
    ]

    @Test(arguments: 0..<limitForms.count, limits)
    func hugeRangeLimit(form: Int, limit: Int64) throws {
        let server = try Self.seededServer()
        let (name, line, reply) = Self.limitForms[form]
        try Self.run([.send(0, line(limit), [reply])], on: server, name: "GET --limit=\(limit), \(name)")
        try Self.expectHealthy(server, after: "GET --limit=\(limit), \(name)")
        server.stop()
    }

    // MARK: 2. Watch IDs were one server-wide counter

    static let watchReproducers: [(name: String, steps: [Step])] = [
        ("--watch-id=Int64.max", [
            .send(0, "WATCH a --watch-id=9223372036854775807", [.ok(" watch_id=9223372036854775807 created=1 events=0")]),
            .send(0, "WATCH b", [.ok(" watch_id=1 created=1 events=0")]),
            .send(0, "WATCH c --watch-id=9223372036854775807",
                  [.exact(#"ERR WATCH_ID_IN_USE "mvcc: watcher ID already in use" watch=9223372036854775807"#)]),
            .send(0, "UNWATCH 9223372036854775807", [.ok(" watch_id=9223372036854775807 canceled=1 events=0"),
                                                     .event(" watch_id=9223372036854775807 canceled=1 events=0")]),
            .send(0, "WATCH c --watch-id=9223372036854775807", [.ok(" watch_id=9223372036854775807 created=1 events=0")]),
        ]),
        ("--watch-id=Int64.max-1, disconnect, then an ordinary WATCH elsewhere", [
            .send(0, "WATCH a --watch-id=9223372036854775806", [.ok(" watch_id=9223372036854775806 created=1 events=0")]),
            .send(0, "WATCH b", [.ok(" watch_id=1 created=1 events=0")]),
            .close(0),
            .send(1, "WATCH a", [.ok(" watch_id=1 created=1 events=0")]),
            .send(1, "WATCH b", [.ok(" watch_id=2 created=1 events=0")]),
            .send(2, "WATCH a --watch-id=9223372036854775806", [.ok(" watch_id=9223372036854775806 created=1 events=0")]),
            .send(2, "WATCH b", [.ok(" watch_id=1 created=1 events=0")]),
        ]),
        ("the same explicit ID on two live connections", [
            .send(0, "@x WATCH a --watch-id=5", [.ok(" watch_id=5 created=1 events=0", tag: "@x ")]),
            .send(1, "@y WATCH a --watch-id=5", [.ok(" watch_id=5 created=1 events=0", tag: "@y ")]),
            .send(2, "PUT a 9", [.ok(" prev=0")]),
            .read(0, [.event(" watch_id=5 events=1 EV PUT prev=0 KV a 9 2 5 2 0", tag: "@x ")]),
            .read(1, [.event(" watch_id=5 events=1 EV PUT prev=0 KV a 9 2 5 2 0", tag: "@y ")]),
            .send(1, "UNWATCH 5", [.ok(" watch_id=5 canceled=1 events=0"), .event(" watch_id=5 canceled=1 events=0", tag: "@y ")]),
            .send(0, "UNWATCH 6", [.ok(" watch_id=6 events=0")]),
            .send(2, "PUT a 10", [.ok(" prev=0")]),
            .read(0, [.event(" watch_id=5 events=1 EV PUT prev=0 KV a 10 2 6 3 0", tag: "@x ")]),
        ]),
        ("--watch-id at every int64 edge", [
            .send(0, "WATCH a --watch-id=-9223372036854775808", [.ok(" watch_id=1 created=1 events=0")]),
            .send(0, "WATCH a --watch-id=-1", [.ok(" watch_id=2 created=1 events=0")]),
            .send(0, "WATCH a --watch-id=0", [.ok(" watch_id=3 created=1 events=0")]),
            .send(0, "WATCH a --watch-id=4", [.ok(" watch_id=4 created=1 events=0")]),
            .send(0, "WATCH a --watch-id=9223372036854775806", [.ok(" watch_id=9223372036854775806 created=1 events=0")]),
            .send(0, "WATCH a", [.ok(" watch_id=5 created=1 events=0")]),
            .send(0, "WATCH a --watch-id=9223372036854775808", [.exact(#"ERR ARGS "WATCH: invalid integer '9223372036854775808' for option '--watch-id'""#)]),
            .send(0, "UNWATCH -9223372036854775808", [.ok(" watch_id=-9223372036854775808 events=0")]),
            .send(0, "UNWATCH 9223372036854775807", [.ok(" watch_id=9223372036854775807 events=0")]),
        ]),
        ("--rev at every int64 edge", [
            .send(0, "WATCH a --rev=-9223372036854775808", [.ok(" watch_id=1 created=1 events=0")]),
            .send(0, "WATCH a --rev=-1", [.ok(" watch_id=2 created=1 events=0")]),
            .send(0, "WATCH a --rev=9223372036854775806", [.ok(" watch_id=3 created=1 events=0")]),
            .send(0, "WATCH a --rev=9223372036854775807", [.ok(" watch_id=4 created=1 events=0")]),
            .send(0, "WATCH a --rev=1", [.ok(" watch_id=5 created=1 events=0"),
                                         .event(" watch_id=5 events=1 EV PUT prev=0 KV a 1 2 2 1 0")]),
            .send(0, "PUT a 2", [.ok(" prev=0"), .event(" watch_id=1 events=1 EV PUT prev=0 KV a 2 2 5 2 0"),
                                 .event(" watch_id=2 events=1 EV PUT prev=0 KV a 2 2 5 2 0"),
                                 .event(" watch_id=5 events=1 EV PUT prev=0 KV a 2 2 5 2 0")]),
        ]),
    ]

    // MARK: 3. A deeply nested TXN overflowed the parser's stack

    static let tooMany = #"ERR TOO_MANY_OPS "etcdserver: too many operations in txn request""#

    /// `TXN THEN TXN THEN … END END` with `levels` transactions inside the outer one around `innermost`.
    static func nestedTxnLine(levels: Int, branch: String = "THEN", innermost: String = " THEN PUT a b") -> String {
        var line = "TXN"
        for _ in 0..<levels { line += " \(branch) TXN" }
        line += innermost
        for _ in 0...levels { line += " END" }
        return line
    }

    /// (name, --max-txn-ops, line, reply)
    static let txnReproducers: [(name: String, maxTxnOps: Int, line: String, reply: Expect)] = [
        ("20,000 levels", 128, nestedTxnLine(levels: 20_000), .exact(tooMany + " count=1 limit=0")),
        ("20,000 levels, tagged", 128, "@t " + nestedTxnLine(levels: 20_000), .exact("@t " + tooMany + " count=1 limit=0")),
        ("20,000 levels in ELSE", 128, nestedTxnLine(levels: 20_000, branch: "ELSE"), .exact(tooMany + " count=1 limit=0")),
        ("20,000 levels under compares", 128,
         "TXN IF VALUE a = 1 VERSION b > 0 THEN PUT x y " + nestedTxnLine(levels: 20_000) + " END",
         .exact(tooMany + " count=1 limit=0")),
        ("20,000 levels, --max-txn-ops=1000000", 1_000_000, nestedTxnLine(levels: 20_000),
         .exact(#"ERR ARGS "TXN: transactions nest at most 128 levels deep""#)),
        ("20,000 levels, --max-txn-ops=9223372036854775807", Int.max, nestedTxnLine(levels: 20_000),
         .exact(#"ERR ARGS "TXN: transactions nest at most 128 levels deep""#)),
        ("129 levels, --max-txn-ops=1000000", 1_000_000, nestedTxnLine(levels: 129, innermost: ""),
         .exact(#"ERR ARGS "TXN: transactions nest at most 128 levels deep""#)),
        ("the deepest etcd allows: 128 levels, the last empty", 128, nestedTxnLine(levels: 128, innermost: ""),
         .ok(" succeeded=1 responses=1 TXN rev=4 term=0 cluster=0 member=0 succeeded=1 responses=0")),
        ("128 levels with a PUT at the bottom", 128, nestedTxnLine(levels: 128), .exact(tooMany + " count=1 limit=0")),
        ("128 levels with a PUT, --max-txn-ops=1000000", 1_000_000, nestedTxnLine(levels: 128),
         .ok(" succeeded=1 responses=1 PUT rev=5 term=0 cluster=0 member=0 prev=0")),
        ("100,000 flat operations", 128, "TXN THEN " + (0..<100_000).map { "GET k\($0)" }.joined(separator: " ") + " END",
         .exact(tooMany + " count=100000 limit=128")),
    ]

    @Test(arguments: 0..<txnReproducers.count)
    func deepTxnIsRefusedBeforeItIsParsed(index: Int) throws {
        let (name, maxTxnOps, line, reply) = Self.txnReproducers[index]
        let server = try Self.seededServer { $0.maxTxnOps = maxTxnOps }
        try Self.run([.send(0, line, [reply])], on: server, name: name)
        try Self.expectHealthy(server, after: name)
        server.stop()
    }

    /// The client decodes the deepest reply a server can legitimately send.
    @Test func clientDecodesTheDeepestReply() throws {
        let server = try Self.seededServer { $0.maxTxnOps = 1_000 }
        let client = try server.client()
        var txn = TxnRequest(success: [.put(PutRequest(key: b("deep"), value: b("v")))])
        for _ in 0..<TxnLimits.maximumNestingDepth { txn = TxnRequest(success: [.txn(txn)]) }
        guard case .txn(var response) = try client.call(.txn(txn)) else {
            Issue.record("not a TXN reply")
            return
        }
        var levels = 0
        while case .txn(let inner)? = response.responses.first {
            levels += 1
            response = inner
        }
        #expect(levels == TxnLimits.maximumNestingDepth)
        #expect(try server.store.get("deep")?.value == b("v"))
        // One level more is refused by the server, and the connection carries on.
        txn = TxnRequest(success: [.txn(txn)])
        #expect(throws: ClientError.self) { try client.call(.txn(txn)) }
        _ = try client.call(.ping)
        server.stop()
    }

    @Test(arguments: 0..<watchReproducers.count)
    func watchIDsBelongToTheirConnection(index: Int) throws {
        let server = try Self.seededServer()
        let (name, steps) = Self.watchReproducers[index]
        try Self.run(steps, on: server, name: name)
        try Self.expectHealthy(server, after: name)
        server.stop()
    }

    // MARK: 4. Every integer of every command, at the int64 edges

    static let decimalValues = ["-9223372036854775808", "-1", "0", "1", "9223372036854775806", "9223372036854775807",
                                "00000000000000000000001", "9223372036854775808", "-9223372036854775809"]
    static let hexValues = ["8000000000000000", "ffffffffffffffff", "0", "1", "7ffffffffffffffe", "7fffffffffffffff",
                            "00000000000000000000001", "10000000000000000"]

    /// A line with `{}` where the number goes, whether it is hexadecimal, and replies some values must get
    /// (by value: the start of the reply after the tag).
    static let sweeps: [(line: String, hex: Bool, expected: [String: String])] = [
        ("HELLO {}", false, ["1": "OK proto=1", "9223372036854775807": "ERR UNSUPPORTED_VERSION "]),
        ("GET a c --limit={}", false, ["9223372036854775807": "OK rev=", "9223372036854775808": "ERR ARGS "]),
        ("GET a --rev={}", false, ["9223372036854775807": "ERR FUTURE_REV ", "-9223372036854775808": "OK rev="]),
        ("GET a c --min-mod-rev={} --sort-order=descend", false, ["9223372036854775807": "OK rev="]),
        ("GET a c --max-mod-rev={}", false, ["-1": "OK rev="]),
        ("GET a c --min-create-rev={} --count-only", false, [:]),
        ("GET a c --max-create-rev={} --keys-only", false, [:]),
        ("PUT k v --ttl={}", false, ["9223372036854775807": #"ERR LEASE_TTL_TOO_LARGE "etcdserver: too large lease TTL" ttl=9223372036854775807"#,
                                     "-9223372036854775808": "OK rev="]),
        ("COMPACT {}", false, ["9223372036854775807": "ERR FUTURE_REV ", "-9223372036854775808": "ERR COMPACTED "]),
        ("HASH --rev={}", false, ["9223372036854775807": "ERR FUTURE_REV ", "-1": "OK rev="]),
        ("SNAPSHOT --rev={}", false, ["9223372036854775807": "ERR FUTURE_REV ", "0": "OK rev="]),
        ("LEASE-GRANT {} a b", false, ["9223372036854775806": "ERR LEASE_TTL_TOO_LARGE ", "-1": "OK rev="]),
        ("WATCH a --rev={}", false, ["9223372036854775807": "OK rev="]),
        ("WATCH a --watch-id={}", false, ["9223372036854775807": "OK rev="]),
        ("UNWATCH {}", false, ["9223372036854775807": "OK rev="]),
        ("TXN IF VERSION a = {} THEN GET a ELSE GET b END", false, ["1": "OK rev="]),
        ("TXN IF CREATE a > {} END", false, [:]),
        ("TXN IF MOD a < {} THEN PUT t v END", false, [:]),
        ("TXN THEN GET a c --limit={} --rev={} END", false, ["9223372036854775807": "ERR FUTURE_REV "]),
        ("PUT a b --lease={}", true, ["0": "OK rev=", "7fffffffffffffff": "ERR LEASE_NOT_FOUND "]),
        ("LEASE-GRANT 5 --id={}", true, ["8000000000000000": "OK rev=", "10000000000000000": "ERR ARGS "]),
        ("LEASE-REVOKE {}", true, ["7fffffffffffffff": "ERR LEASE_NOT_FOUND "]),
        ("LEASE-KEEPALIVE {}", true, ["ffffffffffffffff": "ERR LEASE_NOT_FOUND "]),
        ("LEASE-TTL {} --keys", true, ["7fffffffffffffff": "OK rev="]),
        ("TXN IF LEASE a != {} THEN PUT t v --lease={} END", true, [:]),
    ]

    @Test(arguments: 0..<sweeps.count)
    func everyIntegerAtTheEdges(index: Int) throws {
        let (template, hex, expected) = Self.sweeps[index]
        let server = try Self.seededServer()
        let raw = try server.raw()
        for (number, value) in (hex ? Self.hexValues : Self.decimalValues).enumerated() {
            let tag = "@q\(number)"
            let line = template.replacing("{}", with: value)
            try raw.send("\(tag) \(line)\n")
            // Watch events may come in between; the reply is the next line with this tag that is not one.
            var reply = try raw.line()
            while !reply.hasPrefix(tag + " OK") && !reply.hasPrefix(tag + " ERR ") {
                #expect(reply.contains(" EVENT "), "\(line): \(reply.prefix(200))")
                reply = try raw.line()
            }
            let body = String(reply.dropFirst(tag.count + 1))
            #expect(body.hasPrefix("OK") || body.hasPrefix("ERR "), "\(line): \(body.prefix(200))")
            if let start = expected[value] {
                #expect(body.hasPrefix(start), "\(line): \(body.prefix(200)), expected \(start)")
            }
        }
        try Self.expectHealthy(server, after: template)
        server.stop()
    }

    /// A client's own timeouts at the edges: saturated deadlines, not wrapped ones.
    @Test func clientTimeoutsAtTheEdges() throws {
        let server = try Self.seededServer()
        for timeout in [Duration.seconds(Int64.max), .nanoseconds(Int64.max), .seconds(1)] {
            let client = try KVClient(endpoints: [server.endpoint], dialTimeout: timeout, commandTimeout: timeout)
            _ = try client.call(.ping)
            let watch = try client.watch(WatchRequest(key: b("a")))
            _ = try client.call(.put(PutRequest(key: b("a"), value: b("x"))))
            let response = try watch.next(timeout: timeout)
            #expect(response?.events.first?.kv.value == b("x"))
            client.close()
        }
        server.stop()
    }
}
