import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// Authentication and access control over the wire, with etcd's rules and errors.
@Suite struct AuthTests {
    /// Fast password hashing and no login delay unless a test asks for one.
    static func makeServer(clock: any StoreClock = SystemClock(), tokenTTL: Int = 300, failureDelay: UInt64 = 0,
                           logFD: Int32? = nil) throws -> TestServer {
        try TestServer({ config in
            config.passwordHashIterations = 50
            config.authTokenTTL = tokenTTL
            config.authFailureDelay = failureDelay
        }, clock: clock, logFD: logFD)
    }

    /// root; `reader` may read the `app/` prefix; `writer` may write `[m, p)`; `nobody` has no roles.
    /// Keys `app/x` and `n` exist. Auth is enabled at the end.
    static func configure(_ server: TestServer) throws {
        let admin = try server.client()
        let setup: [AuthRequest] = [
            .userAdd(name: "root", password: "rootpw"), .userAdd(name: "reader", password: "r"),
            .userAdd(name: "writer", password: "w"), .userAdd(name: "nobody", password: "n"),
            .roleAdd("app-read"),
            .roleGrantPermission(role: "app-read", permission: Permission(kind: .read, key: b("app/"), rangeEnd: b("app0"))),
            .roleAdd("mp-write"),
            .roleGrantPermission(role: "mp-write", permission: Permission(kind: .write, key: b("m"), rangeEnd: b("p"))),
            .userGrantRole(user: "reader", role: "app-read"), .userGrantRole(user: "writer", role: "mp-write"),
        ]
        for request in setup { _ = try admin.call(.auth(request)) }
        _ = try admin.call(.put(PutRequest(key: b("app/x"), value: b("1"))))
        _ = try admin.call(.put(PutRequest(key: b("n"), value: b("1"))))
        _ = try admin.call(.auth(.enable))
        admin.close()
    }

    static let passwords = ["root": "rootpw", "reader": "r", "writer": "w", "nobody": "n"]

    /// The wire error a call failed with (nil when it succeeded).
    static func outcome(_ body: () throws -> Void) -> WireError? {
        do {
            try body()
            return nil
        } catch let error as ClientError {
            return error.wire ?? .internalError(error.description)
        } catch {
            return .internalError("\(error)")
        }
    }

    @Test func permissionMatrix() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        try Self.configure(server)
        var clients: [String: KVClient] = ["anonymous": try server.client()]
        for (name, password) in Self.passwords {
            clients[name] = try server.client(credentials: KVClient.Credentials(name: name, password: password))
        }
        let root = clients["root"]!

        /// A lease with key `n` attached, granted by root.
        func leaseOnN() throws -> Int64 {
            guard case .leaseGrant(let grant) = try root.call(.leaseGrant(LeaseGrantRequest(ttl: 60))) else { throw ClientError(kind: .protocolError, description: "grant") }
            _ = try root.call(.put(PutRequest(key: b("n"), value: b("1"), lease: grant.id)))
            return grant.id
        }
        let readApp = Compare(key: b("app/x"), result: .greater, target: .version(0))
        let all = Set(["root", "reader", "writer", "nobody", "anonymous"])
        // (operation, who may do it, the call). Everyone else gets "permission denied", or "user name
        // is empty" without a login.
        let cases: [(String, Set<String>, (KVClient) throws -> Void)] = [
            ("get a key under the prefix", ["root", "reader"], { _ = try $0.call(.range(RangeRequest(key: b("app/x")))) }),
            ("get the whole prefix", ["root", "reader"], { _ = try $0.call(.range(RangeRequest(.prefix(b("app/"))))) }),
            ("get every key", ["root"], { _ = try $0.call(.range(RangeRequest(key: [0], rangeEnd: [0]))) }),
            ("get a key in [m, p)", ["root"], { _ = try $0.call(.range(RangeRequest(key: b("n")))) }),
            ("put under the prefix", ["root"], { _ = try $0.call(.put(PutRequest(key: b("app/x"), value: b("2")))) }),
            ("put in [m, p)", ["root", "writer"], { _ = try $0.call(.put(PutRequest(key: b("n"), value: b("2")))) }),
            ("put in [m, p) with prev-kv", ["root"], { _ = try $0.call(.put(PutRequest(key: b("n"), value: b("2"), prevKV: true))) }),
            ("put past [m, p)", ["root"], { _ = try $0.call(.put(PutRequest(key: b("p"), value: b("2")))) }),
            ("delete in [m, p)", ["root", "writer"], { _ = try $0.call(.deleteRange(DeleteRangeRequest(key: b("mm")))) }),
            ("delete the range [m, o)", ["root", "writer"], { _ = try $0.call(.deleteRange(DeleteRangeRequest(key: b("m"), rangeEnd: b("o")))) }),
            ("delete under the prefix", ["root"], { _ = try $0.call(.deleteRange(DeleteRangeRequest(key: b("app/y")))) }),
            ("txn: compare app/x, get app/x", ["root", "reader"], {
                _ = try $0.call(.txn(TxnRequest(compare: [readApp], success: [.range(RangeRequest(key: b("app/x")))])))
            }),
            ("txn: compare app/x, put n", ["root"], {
                _ = try $0.call(.txn(TxnRequest(compare: [readApp], success: [.put(PutRequest(key: b("n"), value: b("3")))])))
            }),
            ("txn: put n on the branch not taken counts too", ["root"], {
                _ = try $0.call(.txn(TxnRequest(success: [.range(RangeRequest(key: b("app/x")))],
                                                failure: [.put(PutRequest(key: b("n"), value: b("3")))])))
            }),
            ("txn: nested put n", ["root", "writer"], {
                _ = try $0.call(.txn(TxnRequest(success: [.txn(TxnRequest(success: [.put(PutRequest(key: b("n"), value: b("4")))]))])))
            }),
            ("txn: nested compare app/x", ["root", "reader"], {
                _ = try $0.call(.txn(TxnRequest(success: [.txn(TxnRequest(compare: [readApp]))])))
            }),
            ("watch the prefix", ["root", "reader"], { try $0.watch(WatchRequest(.prefix(b("app/")))).cancel() }),
            ("watch n", ["root"], { try $0.watch(WatchRequest(key: b("n"))).cancel() }),
            ("lease grant", all, { _ = try $0.call(.leaseGrant(LeaseGrantRequest(ttl: 60))) }),
            ("lease revoke (key n attached)", ["root", "writer"], { client in
                let id = try leaseOnN()
                _ = try client.call(.leaseRevoke(id))
            }),
            ("lease revoke (no key attached)", all, { client in
                guard case .leaseGrant(let grant) = try root.call(.leaseGrant(LeaseGrantRequest(ttl: 60))) else { return }
                _ = try client.call(.leaseRevoke(grant.id))
            }),
            ("lease keep-alive (no key attached)", all, { client in
                guard case .leaseGrant(let grant) = try root.call(.leaseGrant(LeaseGrantRequest(ttl: 60))) else { return }
                _ = try client.keepAliveOnce(grant.id)
            }),
            ("lease keep-alive (key n attached)", ["root", "writer"], { client in
                _ = try client.keepAliveOnce(try leaseOnN())
            }),
            ("lease list", all, { _ = try $0.call(.leaseList) }),
            ("lease time-to-live (key n attached)", ["root"], { client in
                let id = try leaseOnN()
                _ = try client.call(.leaseTimeToLive(LeaseTimeToLiveRequest(id: id, keys: true)))
            }),
            ("hash", ["root"], { _ = try $0.call(.hashKV(HashKVRequest())) }),
            ("snapshot", ["root"], { _ = try $0.call(.snapshot(SnapshotRequest())) }),
            ("status", all, { _ = try $0.call(.status) }),
            ("members", all, { _ = try $0.call(.memberList) }),
            ("user list", ["root"], { _ = try $0.call(.auth(.userList)) }),
            ("user get reader", ["root", "reader"], { _ = try $0.call(.auth(.userGet("reader"))) }),
            ("role get app-read", ["root", "reader"], { _ = try $0.call(.auth(.roleGet("app-read"))) }),
            ("role add", ["root"], { _ = try $0.call(.auth(.roleAdd("r-\(Int.random(in: 0..<1_000_000_000))"))) }),
        ]
        for (operation, allowed, call) in cases {
            for who in all.sorted() {
                let error = Self.outcome { try call(clients[who]!) }
                if allowed.contains(who) {
                    #expect(error == nil, "\(operation) as \(who)")
                } else {
                    let expected: WireError = who == "anonymous" ? .auth(.userNameEmpty) : .auth(.permissionDenied)
                    #expect(error == expected, "\(operation) as \(who)")
                }
            }
        }
        // Compaction last: root only.
        for who in ["reader", "writer", "nobody"] {
            #expect(Self.outcome { _ = try clients[who]!.call(.compact(CompactionRequest(revision: 2))) } == .auth(.permissionDenied))
        }
        #expect(Self.outcome { _ = try clients["anonymous"]!.call(.compact(CompactionRequest(revision: 2))) } == .auth(.userNameEmpty))
        #expect(Self.outcome { _ = try root.call(.compact(CompactionRequest(revision: 2))) } == nil)
        for client in clients.values { client.close() }
    }

    @Test func wrongPasswordOrUnknownUserIsRefusedAlike() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        try Self.configure(server)
        for (name, password) in [("reader", "wrong"), ("ghost", "r"), ("reader", "")] {
            #expect(Self.outcome { _ = try server.client(credentials: KVClient.Credentials(name: name, password: password)) }
                    == .auth(.authenticationFailed))
        }
        // After a failed login the connection is still anonymous.
        let raw = try server.raw()
        try raw.send("AUTHENTICATE reader wrong\nGET app/x\n")
        #expect(try raw.line() == "ERR AUTH_FAILED \"etcdserver: authentication failed, invalid user ID or password\"")
        #expect(try raw.line() == "ERR USER_EMPTY \"etcdserver: user name is empty\"")
        try raw.send("AUTHENTICATE reader r\nGET app/x\n")
        #expect(try raw.line().hasPrefix("OK rev="))
        #expect(try raw.line().contains("KV app/x 1"))
    }

    @Test func loggingInWhileAuthIsDisabledSaysSo() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let raw = try server.raw()
        try raw.send("AUTHENTICATE root x\nPUT k v\n")
        #expect(try raw.line() == "ERR AUTH_NOT_ENABLED \"etcdserver: authentication is not enabled\"")
        #expect(try raw.line().hasPrefix("OK rev=2"))
    }

    @Test func tokensExpireWhenIdleAndTheClientLogsInAgain() throws {
        let clock = ManualClock()
        let server = try Self.makeServer(clock: clock, tokenTTL: 10)
        defer { server.stop() }
        try Self.configure(server)
        let raw = try server.raw()
        try raw.send("AUTHENTICATE reader r\n")
        #expect(try raw.line().hasPrefix("OK"))
        clock.advance(seconds: 9)
        try raw.send("GET app/x\n")
        #expect(try raw.line().hasPrefix("OK"), "used within the TTL: renewed")
        clock.advance(seconds: 9)
        try raw.send("GET app/x\n")
        #expect(try raw.line().hasPrefix("OK"), "renewed by the last use")
        clock.advance(seconds: 11)
        try raw.send("GET app/x\n")
        #expect(try raw.line() == "ERR INVALID_AUTH_TOKEN \"etcdserver: invalid auth token\"")

        // KVClient keeps the credentials and logs in again by itself.
        let client = try server.client(credentials: KVClient.Credentials(name: "reader", password: "r"))
        clock.advance(seconds: 11)
        guard case .range(let range) = try client.call(.range(RangeRequest(key: b("app/x")))) else {
            Issue.record("no range reply")
            return
        }
        #expect(range.kvs.map(\.value) == [b("1")])
    }

    @Test func passwordChangesAndRevocationsTakeEffectAtOnce() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        try Self.configure(server)
        let root = try server.client(credentials: KVClient.Credentials(name: "root", password: "rootpw"))
        let writer = try server.raw()
        try writer.send("AUTHENTICATE writer w\nPUT n 5\n")
        #expect(try writer.line().hasPrefix("OK"))
        #expect(try writer.line().hasPrefix("OK"))

        _ = try root.call(.auth(.userRevokeRole(user: "writer", role: "mp-write")))
        try writer.send("PUT n 6\n")
        #expect(try writer.line() == "ERR PERMISSION_DENIED \"etcdserver: permission denied\"")
        _ = try root.call(.auth(.userGrantRole(user: "writer", role: "mp-write")))
        try writer.send("PUT n 7\n")
        #expect(try writer.line().hasPrefix("OK"))

        _ = try root.call(.auth(.roleRevokePermission(role: "mp-write", key: b("m"), rangeEnd: b("p"))))
        try writer.send("PUT n 8\n")
        #expect(try writer.line() == "ERR PERMISSION_DENIED \"etcdserver: permission denied\"")

        _ = try root.call(.auth(.userChangePassword(name: "writer", password: "w2")))
        try writer.send("PUT n 9\n")
        #expect(try writer.line() == "ERR INVALID_AUTH_TOKEN \"etcdserver: invalid auth token\"")
        try writer.send("AUTHENTICATE writer w\n")
        #expect(try writer.line().hasPrefix("ERR AUTH_FAILED"))

        _ = try root.call(.auth(.userDelete("reader")))
        #expect(Self.outcome { _ = try server.client(credentials: KVClient.Credentials(name: "reader", password: "r")) }
                == .auth(.authenticationFailed))
        root.close()
    }

    @Test func authChangesDoNotAdvanceTheRevisionAndRootRulesHold() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let admin = try server.client()
        let before = server.store.revision
        #expect(Self.outcome { _ = try admin.call(.auth(.enable)) } == .auth(.rootUserNotExist))
        _ = try admin.call(.auth(.userAdd(name: "root", password: "pw")))
        _ = try admin.call(.auth(.roleAdd("r")))
        guard case .auth(_, let enabled) = try admin.call(.auth(.enable)) else { throw ClientError(kind: .protocolError, description: "enable") }
        #expect(enabled.header.revision == before)
        #expect(server.store.revision == before)
        #expect(Self.outcome { _ = try admin.call(.auth(.userList)) } == .auth(.userNameEmpty))
        let root = try server.client(credentials: KVClient.Credentials(name: "root", password: "pw"))
        guard case .auth(_, let user) = try root.call(.auth(.userGet("root"))) else { throw ClientError(kind: .protocolError, description: "get") }
        #expect(user.roles == ["root"], "enable creates the root role and grants it")
        #expect(Self.outcome { _ = try root.call(.auth(.userDelete("root"))) } == .auth(.invalidAuthManagement))
        #expect(Self.outcome { _ = try root.call(.auth(.userRevokeRole(user: "root", role: "root"))) } == .auth(.invalidAuthManagement))
        #expect(Self.outcome { _ = try root.call(.auth(.userAdd(name: "root", password: "x"))) } == .auth(.userAlreadyExists("root")))
        #expect(Self.outcome { _ = try root.call(.auth(.userAdd(name: "", password: "x"))) } == .auth(.userNameEmpty))
        #expect(Self.outcome { _ = try root.call(.auth(.userGrantRole(user: "root", role: "nope"))) } == .auth(.roleNotFound("nope")))
        guard case .auth(_, let status) = try root.call(.auth(.status)) else { throw ClientError(kind: .protocolError, description: "status") }
        #expect(status.enabled && status.authRevision > 1)
        _ = try root.call(.auth(.disable))
        _ = try admin.call(.put(PutRequest(key: b("k"), value: b("v"))))
        #expect(server.store.revision == before + 1)
        root.close()
        admin.close()
    }

    @Test func failedLoginsAreSlowedPerConnection() throws {
        let base: UInt64 = 20_000_000
        let server = try Self.makeServer(failureDelay: base)
        defer { server.stop() }
        try Self.configure(server)
        let guesser = try server.raw()
        let bystander = try server.raw()
        let start = Posix.monotonicNanoseconds()
        // Five guesses and a request pipelined in one write: each failure waits 20, 40, 80, 160, 320 ms.
        try guesser.send((1...5).map { "@g\($0) AUTHENTICATE reader guess\($0)\n" }.joined() + "@p PING\n")
        // Meanwhile another connection is served: the loop never waits on a login.
        try bystander.send("PING\n")
        #expect(try bystander.line() == "OK")
        let bystanderDone = Posix.monotonicNanoseconds()
        for index in 1...5 {
            #expect(try guesser.line() == "@g\(index) ERR AUTH_FAILED \"etcdserver: authentication failed, invalid user ID or password\"")
        }
        #expect(try guesser.line() == "@p OK")
        let elapsed = Posix.monotonicNanoseconds() - start
        #expect(elapsed >= base * (1 + 2 + 4 + 8 + 16), "\(elapsed / 1_000_000) ms")
        #expect(bystanderDone < start + elapsed)
        // A new connection starts from the base delay; a right password is answered at once.
        let fresh = try server.raw()
        try fresh.send("AUTHENTICATE reader r\n")
        #expect(try fresh.line().hasPrefix("OK"))
    }

    @Test func aScriptThatLogsInAndHangsUpGetsEveryReply() throws {
        let server = try Self.makeServer(failureDelay: 20_000_000)
        defer { server.stop() }
        try Self.configure(server)
        // `printf '…' | nc`: the requests, then end of input, while the logins are still being checked.
        let raw = try server.raw()
        try raw.send("AUTHENTICATE reader nope\nAUTHENTICATE reader r\nGET app/x\n")
        try raw.socket.shutdown(.write)
        #expect(try raw.line().hasPrefix("ERR AUTH_FAILED"))
        #expect(try raw.line().hasPrefix("OK"))
        #expect(try raw.line().contains("KV app/x 1"))
        #expect(raw.readsEndOfStream())
        // A client that vanishes mid-login leaves nothing behind.
        for _ in 0..<20 {
            let gone = try server.raw()
            try gone.send("AUTHENTICATE reader nope\n")
        }
        #expect(eventually { server.server.state.connectionCount.load(ordering: .relaxed) == 0 }, "closed connections are released")
        #expect(eventually { server.store.auth.tokenCount == 0 }, "a closed connection's login ends with it")
        let alive = try server.raw()
        try alive.send("PING\n")
        #expect(try alive.line() == "OK")
    }

    @Test func noSecretInLogsOrReplies() throws {
        var template = Array("/tmp/kvauth-log-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        #expect(fd >= 0)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer {
            close(fd)
            unlink(path)
        }
        let server = try Self.makeServer(logFD: fd)
        let raw = try server.raw()
        var replies: [String] = []
        try raw.send("USER-ADD root s3cret-root\nUSER-ADD alice s3cret-alice\nAUTH-ENABLE\n")
        for _ in 0..<3 { replies.append(try raw.line()) }
        try raw.send("AUTHENTICATE alice s3cret-wrong\nAUTHENTICATE alice s3cret-x extra\nAUTHENTICATE root s3cret-root\n")
        for _ in 0..<3 { replies.append(try raw.line()) }
        try raw.send("USER-PASSWD alice s3cret-new\nUSER-PASSWD alice\nUSER-ADD bob s3cret-b --no-password\nUSER-GET alice\n")
        for _ in 0..<4 { replies.append(try raw.line()) }
        server.stop()
        var log: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        lseek(fd, 0, SEEK_SET)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            log += chunk[..<count]
        }
        let logText = String(decoding: log, as: UTF8.self)
        #expect(logText.contains("failed login"), "the failed login is logged")
        #expect(logText.contains("alice"), "with the user name")
        #expect(logText.contains("auth change: USER-ADD \"alice\" (with a password)"), "changes are logged by name")
        #expect(logText.contains("auth change: USER-PASSWD \"alice\""))
        #expect(!logText.contains("s3cret"), "\(logText)")
        for reply in replies { #expect(!reply.contains("s3cret"), "\(reply)") }
        #expect(replies[4].hasPrefix("ERR ARGS"))
    }
}
