import KVStore
import Testing
@testable import KVProtocol

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ReplyTests {
    static let header = ResponseHeader(clusterID: 0xcdf8_1819_4e3a_8c32, memberID: 0x8e9e_05c5_2164_694d, revision: 5, raftTerm: 2)

    /// The exact bytes of each reply layout, as PROTOCOL.md shows them.
    static let layouts: [(Response, RequestTag?, String)] = [
        (.hello(HelloResponse(server: "kvserver", version: "0.1.0")), nil, "OK proto=1 server=kvserver version=0.1.0"),
        (.pong, RequestTag("p"), "@p OK"),
        (.range(RangeResponse(header: header, kvs: [
            KeyValue(key: b("foo"), value: b("bar"), createRevision: 2, modRevision: 3, version: 1),
            KeyValue(key: b("foo2"), value: [], createRevision: 4, modRevision: 4, version: 1, lease: 0x694d),
        ], more: false, count: 2)), RequestTag("7"),
         #"@7 OK rev=5 term=2 cluster=cdf818194e3a8c32 member=8e9e05c52164694d count=2 more=0 kvs=2 KV foo bar 2 3 1 0 KV foo2 "" 4 4 1 694d"#),
        (.put(PutResponse(header: ResponseHeader(revision: 6, raftTerm: 2),
                          prevKV: KeyValue(key: b("k"), value: b("a b"), createRevision: 2, modRevision: 5, version: 3))), nil,
         #"OK rev=6 term=2 cluster=0 member=0 prev=1 KV k "a b" 2 5 3 0"#),
        (.deleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 7), deleted: 3)), nil,
         "OK rev=7 term=0 cluster=0 member=0 deleted=3 prev=0"),
        (.txn(TxnResponse(header: ResponseHeader(revision: 8), succeeded: true, responses: [
            .put(PutResponse(header: ResponseHeader(revision: 8))),
            .txn(TxnResponse(header: ResponseHeader(revision: 8), succeeded: false, responses: [
                .range(RangeResponse(header: ResponseHeader(revision: 8), kvs: [], more: false, count: 0)),
            ])),
            .deleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 8), deleted: 0)),
        ])), nil,
         "OK rev=8 term=0 cluster=0 member=0 succeeded=1 responses=3 PUT rev=8 term=0 cluster=0 member=0 prev=0"
            + " TXN rev=8 term=0 cluster=0 member=0 succeeded=0 responses=1 RANGE rev=8 term=0 cluster=0 member=0 count=0 more=0 kvs=0"
            + " DEL rev=8 term=0 cluster=0 member=0 deleted=0 prev=0"),
        (.compact(CompactionResponse(header: ResponseHeader(revision: 9))), nil, "OK rev=9 term=0 cluster=0 member=0"),
        (.status(StatusResponse(header: ResponseHeader(revision: 9), version: "3.5.0", dbSize: 4096, dbSizeInUse: 2048,
                                leader: 0x8e9e, raftIndex: 12, raftTerm: 2, raftAppliedIndex: 12, compactRevision: 3,
                                errors: ["memberID:8e9e alarm:NOSPACE"])), nil,
         #"OK rev=9 term=0 cluster=0 member=0 version=3.5.0 db_size=4096 db_size_in_use=2048 leader=8e9e raft_index=12 raft_term=2 raft_applied_index=12 compact_rev=3 learner=0 errors=1 ERROR "memberID:8e9e alarm:NOSPACE""#),
        (.memberList(MemberListResponse(header: ResponseHeader(revision: 9), members: [
            Member(id: 0x8e9e, name: "default", peerURLs: ["http://localhost:2380"], clientURLs: ["http://localhost:2379", "http://x"]),
        ])), nil,
         "OK rev=9 term=0 cluster=0 member=0 members=1 MEMBER default id=8e9e learner=0 peers=1 clients=2 PEER http://localhost:2380 CLIENT http://localhost:2379 CLIENT http://x"),
        (.health(HealthResponse(health: true)), nil, "OK health=1"),
        (.health(HealthResponse(health: false, reason: "NOSPACE alarm")), nil, #"OK health=0 REASON "NOSPACE alarm""#),
        (.hashKV(HashKVResponse(header: ResponseHeader(revision: 9), hash: 4_294_967_295, compactRevision: 3, hashRevision: 9)), nil,
         "OK rev=9 term=0 cluster=0 member=0 hash=4294967295 compact_rev=3 hash_rev=9"),
    ]

    @Test(arguments: 0..<layouts.count)
    func layout(_ index: Int) throws {
        let (response, tag, expected) = Self.layouts[index]
        #expect(String(decoding: ReplyEncoder.line(.success(response), tag: tag), as: UTF8.self) == expected + "\n")
        #expect(try ReplyDecoder.decode(expected, for: response.kind) == Reply(tag: tag, result: .success(response)))
    }

    @Test func storeErrorsCarryEtcdMessagesAndPayloads() throws {
        let cases: [(StoreError, String)] = [
            (.compacted(requested: 2, compactedRevision: 5),
             #"ERR COMPACTED "etcdserver: mvcc: required revision has been compacted" requested=2 compact_rev=5"#),
            (.futureRevision(requested: 9, currentRevision: 5),
             #"ERR FUTURE_REV "etcdserver: mvcc: required revision is a future revision" requested=9 current_rev=5"#),
            (.leaseNotFound(id: 0x694d_5765_fc71_500b),
             #"ERR LEASE_NOT_FOUND "etcdserver: requested lease not found" lease=694d5765fc71500b"#),
            (.requestTooLarge(size: 2_000_000, limit: 1_572_864),
             #"ERR TOO_LARGE "etcdserver: request is too large" size=2000000 limit=1572864"#),
            (.emptyKey, #"ERR EMPTY_KEY "etcdserver: key is not provided""#),
        ]
        for (error, expected) in cases {
            #expect(String(decoding: ReplyEncoder.line(.failure(.store(error))), as: UTF8.self) == expected + "\n")
            #expect(try ReplyDecoder.decode(expected, for: .put).result == .failure(.store(error)))
        }
        #expect(String(decoding: ReplyEncoder.line(.failure(.unsupportedVersion(requested: 2, supported: 1)), tag: RequestTag("h")), as: UTF8.self)
            == #"@h ERR UNSUPPORTED_VERSION "unsupported protocol version 2: this server speaks protocol 1" requested=2 supported=1"# + "\n")
    }

    @Test func genericFrameParsesEveryReply() throws {
        let frame = try ReplyFrame.parse(b(#"@q OK rev=1 kvs=1 KV a=b "x y" 1 2 3 0 extra=1"#))
        #expect(frame.tag == RequestTag("q") && frame.status == .ok)
        #expect(frame.fields.entries.map(\.name) == ["rev", "kvs"])
        #expect(frame.items == [ReplyItem(keyword: "KV", arguments: [b("a=b"), b("x y"), b("1"), b("2"), b("3"), b("0")],
                                          fields: { var f = Fields(); f.entries = [.init(name: "extra", value: b("1"))]; return f }())])
    }

    @Test func malformedRepliesAreProtocolErrors() {
        let lines = [
            "", "HUH rev=1", "ERR ONLYCODE", "OK rev=1 count=1 more=0 kvs=2 KV a b 1 1 1 0", "OK rev=x",
            "OK rev=1 kvs=1 KV a b 1 1", "OK rev=1 count=0 more=0 kvs=0 BOGUS", "OK \"unterminated",
            "OK rev=1 count=0 more=0 kvs=0 KV a b 1 1 1 0",
        ]
        for line in lines {
            #expect(throws: WireError.self, "\(line)") { try ReplyDecoder.decode(line, for: .get) }
        }
    }

    @Test func unknownFieldsAreIgnored() throws {
        let reply = try ReplyDecoder.decode("OK rev=3 term=1 cluster=0 member=0 future_field=x", for: .compact)
        #expect(reply.result == .success(.compact(CompactionResponse(header: ResponseHeader(revision: 3, raftTerm: 1)))))
    }

    @Test func helloNegotiation() throws {
        let ok = ProtocolVersion.negotiate(HelloRequest(protocolVersion: 1), server: "kvserver", version: "0.1.0")
        #expect(String(decoding: ReplyEncoder.line(ok), as: UTF8.self) == "OK proto=1 server=kvserver version=0.1.0\n")
        let withEtcd = ProtocolVersion.negotiate(HelloRequest(protocolVersion: 1), server: "kvserver", version: "0.1.0",
                                                 etcdVersion: "3.5.0")
        let line = ReplyEncoder.line(withEtcd)
        #expect(String(decoding: line, as: UTF8.self) == "OK proto=1 server=kvserver version=0.1.0 etcd=3.5.0\n")
        #expect(try ReplyDecoder.decode(String(decoding: line.dropLast(), as: UTF8.self), for: .hello).result == withEtcd)
        let refused = ProtocolVersion.negotiate(HelloRequest(protocolVersion: 2), server: "kvserver", version: "0.1.0")
        #expect(refused == .failure(.unsupportedVersion(requested: 2, supported: 1)))
    }
}
