import KVStore
import Testing
@testable import KVProtocol

/// The command table is built from the commands' definitions: these tests fail when a command is missing
/// from it, or when a definition disagrees with the table or the request it stands for.
@Suite struct CommandDefinitionTests {
    /// One request of every command (both forms of PUT), with arguments that exercise the encoder.
    static let samples: [Request] = [
        .hello(HelloRequest(protocolVersion: 1)),
        .ping,
        .range(RangeRequest(key: b("a"), rangeEnd: b("b"), limit: 3)),
        .put(PutRequest(key: b("k"), value: b("v"), prevKV: true)),
        .leasedPut(LeasedPutRequest(put: PutRequest(key: b("k"), value: b("v")), ttl: 30)),
        .deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c"), prevKV: true)),
        .txn(TxnRequest(compare: [Compare(key: b("k"), result: .equal, target: .version(1))],
                        success: [.put(PutRequest(key: b("THEN"), value: b("x")))], failure: [.range(RangeRequest(key: b("k")))])),
        .compact(CompactionRequest(revision: 5, physical: true)),
        .status,
        .memberList,
        .health,
        .hashKV(HashKVRequest(revision: 4)),
        .leaseGrant(LeaseGrantRequest(ttl: 10, id: 0x1f, keys: [b("k")])),
        .leaseRevoke(0x1f),
        .leaseKeepAlive(0x1f),
        .leaseTimeToLive(LeaseTimeToLiveRequest(id: 0x1f, keys: true)),
        .leaseList,
        .watch(WatchRequest(key: b("w"), rangeEnd: b("x"), startRevision: 2, prevKV: true, noDelete: true)),
        .unwatch(3),
        .progress,
        .snapshot(SnapshotRequest(revision: 7)),
        .snapshotNext,
        .authenticate(AuthenticateRequest(name: "alice", password: "--secret")),
        .auth(.enable),
        .auth(.disable),
        .auth(.status),
        .auth(.userAdd(name: "alice", password: "pw")),
        .auth(.userAdd(name: "bot", password: nil)),
        .auth(.userDelete("alice")),
        .auth(.userGet("alice")),
        .auth(.userList),
        .auth(.userChangePassword(name: "alice", password: "--new")),
        .auth(.userGrantRole(user: "alice", role: "reader")),
        .auth(.userRevokeRole(user: "alice", role: "reader")),
        .auth(.roleAdd("reader")),
        .auth(.roleDelete("reader")),
        .auth(.roleGet("reader")),
        .auth(.roleList),
        .auth(.roleGrantPermission(role: "reader", permission: Permission(kind: .readwrite, key: b("a"), rangeEnd: b("b")))),
        .auth(.roleRevokePermission(role: "reader", key: b("a"), rangeEnd: b("b"))),
        .defragment,
        .alarm(.list),
        .alarm(.disarm),
    ]

    @Test func everyCommandKindHasOneDefinitionInTheTable() {
        #expect(CommandTable.definitions.map { $0.spec.kind } == CommandKind.allCases)
        #expect(CommandTable.definitions.map { $0.kind } == CommandKind.allCases)
        #expect(LeasedPutCommand.kind == LeasedPutCommand.spec.kind)
        #expect(CommandTable.specs.map(\.kind) == CommandKind.allCases)
        for kind in CommandKind.allCases {
            #expect(CommandTable.spec(for: kind).name == kind.verb)
        }
    }

    @Test func everyVerbAndAliasLooksUpItsCommand() {
        for spec in CommandTable.specs {
            for verb in [spec.name] + spec.aliases {
                #expect(CommandTable.lookup(Array(verb.utf8)) == spec.kind, "\(verb)")
                #expect(CommandTable.lookup(Array(verb.lowercased().utf8)) == spec.kind, "\(verb) in lower case")
            }
        }
        #expect(CommandTable.lookup(Array("NOPE".utf8)) == nil)
        #expect(CommandTable.lookup(Array("LEASE-GRANT-AND-MORE".utf8)) == nil)
    }

    @Test func samplesCoverEveryCommandKind() {
        #expect(Set(Self.samples.map(\.kind)) == Set(CommandKind.allCases))
    }

    /// Each request is written with its verb first, and read back to the same request and kind.
    @Test func everyCommandRoundTripsThroughItsDefinition() throws {
        for request in Self.samples {
            let line = RequestEncoder.encode(request, tag: RequestTag("t1"))
            let text = String(decoding: line, as: UTF8.self)
            #expect(text.hasPrefix("@t1 \(request.kind.verb)"), "\(text)")
            let decoded = try RequestDecoder.decodeTokenized(Array(line.dropLast()))
            #expect(decoded == RequestLine(tag: RequestTag("t1"), request), "\(text)")
            #expect(decoded?.request.kind == request.kind)
        }
    }

    /// An auth request's verb is its `AuthRequest.kind`, and its log line names it without a password.
    @Test func authRequestsNameTheirVerbWithoutPasswords() {
        for case .auth(let auth) in Self.samples {
            #expect(Request.auth(auth).kind == auth.kind)
            #expect(auth.description.hasPrefix(auth.kind.verb), "\(auth)")
            #expect(!auth.description.contains("pw") && !auth.description.contains("--new"), "\(auth)")
        }
    }

    /// Who may make each command while auth is enabled: the open ones need nothing, not even a valid
    /// token; the lease, listing and status ones take anyone without credentials, as etcd does, but a
    /// token given must be valid; the rest need a logged-in user allowed to (root, here, or the user
    /// reading its own record).
    @Test func everyCommandHasItsAuthorizationRequirement() throws {
        let open: Set<CommandKind> = [.hello, .ping, .authenticate, .unwatch, .progress, .snapshotNext, .status,
                                      .members, .health]
        let validTokenIfGiven: Set<String> = ["LEASE-REVOKE", "LEASE-KEEPALIVE", "LEASE-TTL", "LEASE-LIST",
                                              "AUTH-STATUS", "ALARM LIST"]
        let store = Store(configuration: StoreConfiguration(passwordHashIterations: 10))
        try store.auth.addUser("root", password: "rootpw")
        try store.auth.addUser("alice", password: "pw")
        try store.auth.enable()
        let rootToken = try store.auth.authenticate(name: "root", password: "rootpw")
        let aliceToken = try store.auth.authenticate(name: "alice", password: "pw")
        for request in Self.samples {
            let name = Self.name(request)
            #expect(throws: Never.self, "\(name) as root") { try request.authorize(on: store, token: rootToken) }
            if open.contains(request.kind) {
                #expect(throws: Never.self, "\(name) without a token") { try request.authorize(on: store, token: nil) }
                #expect(throws: Never.self, "\(name) with a bad token") { try request.authorize(on: store, token: "bad") }
            } else if validTokenIfGiven.contains(name) {
                #expect(throws: Never.self, "\(name) without a token") { try request.authorize(on: store, token: nil) }
                #expect(throws: AuthError.invalidAuthToken, "\(name) with a bad token") {
                    try request.authorize(on: store, token: "bad")
                }
                #expect(throws: Never.self, "\(name) as a user") { try request.authorize(on: store, token: aliceToken) }
            } else {
                #expect(throws: AuthError.self, "\(name) without a token") { try request.authorize(on: store, token: nil) }
                if name == "USER-GET \"alice\"" {
                    #expect(throws: Never.self, "\(name) as alice") { try request.authorize(on: store, token: aliceToken) }
                } else {
                    #expect(throws: AuthError.permissionDenied, "\(name) as a user") {
                        try request.authorize(on: store, token: aliceToken)
                    }
                }
            }
        }
        store.auth.disable()
        for request in Self.samples {
            #expect(throws: Never.self, "\(Self.name(request)) with auth disabled") { try request.authorize(on: store, token: nil) }
        }
    }

    /// Commands etcd has no message for measure nothing; every other sample measures something.
    @Test func everyCommandHasItsEtcdSize() {
        let sizeless: Set<CommandKind> = [.hello, .ping, .status, .members, .health, .snapshotNext, .leaseList, .defrag,
                                          .authEnable, .authDisable, .authStatus, .userList, .roleList]
        for request in Self.samples {
            if sizeless.contains(request.kind) || request == .alarm(.list) {
                #expect(request.encodedSize == 0, "\(Self.name(request))")
            } else {
                #expect(request.encodedSize > 0, "\(Self.name(request))")
            }
        }
    }

    /// An auth reply carries exactly what its command reads, and reads back to it.
    @Test func authRepliesCarryWhatTheirCommandReads() throws {
        let header = ResponseHeader(clusterID: 1, memberID: 2, revision: 3, raftTerm: 4)
        let full = AuthResponse(header: header, enabled: true, authRevision: 9, users: ["alice", "bob"], roles: ["r"],
                                permissions: [Permission(kind: .write, key: b("a"), rangeEnd: b("b"))])
        let authKinds = CommandKind.allCases.filter { $0 == .authenticate || CommandTable.definition(for: $0) is any AuthCommandDefinition.Type }
        #expect(authKinds.count == 17)
        for kind in authKinds {
            var expected = AuthResponse(header: header)
            switch kind {
            case .authStatus: (expected.enabled, expected.authRevision) = (true, 9)
            case .userList: expected.users = full.users
            case .userGet, .roleList: expected.roles = full.roles
            case .roleGet: expected.permissions = full.permissions
            default: break
            }
            var buffer = ByteBuffer()
            ReplyEncoder.encode(full, kind: kind, into: &buffer)
            let line = buffer.readAll()
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: kind)
            #expect(reply.result == .success(.auth(kind, expected)), "\(String(decoding: line, as: UTF8.self))")
        }
    }

    /// The verb and first argument, as a readable name in messages.
    static func name(_ request: Request) -> String {
        let words = String(decoding: RequestEncoder.encode(request).dropLast(), as: UTF8.self).split(separator: " ")
        return words.prefix(request.kind == .alarm || request.kind == .userGet ? 2 : 1).joined(separator: " ")
    }
}

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }
