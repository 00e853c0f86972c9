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

    @Test(arguments: 0..<watchReproducers.count)
    func watchIDsBelongToTheirConnection(index: Int) throws {
        let server = try Self.seededServer()
        let (name, steps) = Self.watchReproducers[index]
        try Self.run(steps, on: server, name: name)
        try Self.expectHealthy(server, after: name)
        server.stop()
    }
}
