import KVStore
import Testing
@testable import KVProtocol

/// The example exchanges of docs/PROTOCOL.md: every request decodes, every reply decodes for its command
/// and re-encodes to the same bytes.
@Suite struct DocumentationExamplesTests {
    static let exchanges: [(String, String, CommandKind)] = [
        ("@7 GET foo", "@7 OK rev=5 term=2 cluster=0 member=0 count=1 more=0 kvs=1 KV foo bar 2 5 3 0", .get),
        ("GET foo --prefix", #"OK rev=5 term=2 cluster=0 member=0 count=2 more=0 kvs=2 KV foo bar 2 3 1 0 KV foo2 "" 4 4 1 694d"#, .get),
        (#"get "a b" --limit=2"#, "OK rev=5 term=2 cluster=0 member=0 count=0 more=0 kvs=0", .get),
        ("PUT foo bar", "OK rev=2 term=2 cluster=0 member=0 prev=0", .put),
        (#"PUT k "a b" --prev-kv"#, #"OK rev=6 term=2 cluster=0 member=0 prev=1 KV k "a b" 2 5 3 0"#, .put),
        ("PUT k --ignore-value --lease=694d5765fc71500b", "OK rev=7 term=2 cluster=0 member=0 prev=0", .put),
        ("@t1 DEL x --prefix --prev-kv", "@t1 OK rev=8 term=2 cluster=0 member=0 deleted=1 prev=1 KV x1 v 7 7 1 0", .del),
        ("TXN IF VALUE foo = bar THEN PUT foo baz GET foo ELSE GET foo END",
         "OK rev=9 term=2 cluster=0 member=0 succeeded=1 responses=2 PUT rev=9 term=2 cluster=0 member=0 prev=0 RANGE rev=9 term=2 cluster=0 member=0 count=1 more=0 kvs=1 KV foo baz 2 9 2 0", .txn),
        (#"TXN IF MOD "end" < 5 THEN PUT x "then" ELSE TXN THEN DEL a END END"#,
         "OK rev=9 term=2 cluster=0 member=0 succeeded=0 responses=1 TXN rev=9 term=2 cluster=0 member=0 succeeded=1 responses=1 DEL rev=9 term=2 cluster=0 member=0 deleted=0 prev=0", .txn),
        ("COMPACT 5", "OK rev=9 term=2 cluster=0 member=0", .compact),
        ("HELLO 1", "OK proto=1 server=kvserver version=0.1.0 etcd=3.5.0", .hello),
        ("@p PING", "@p OK", .ping),
        ("HEALTH", "OK health=1", .health),
        ("DEFRAG", "OK rev=9 term=2 cluster=0 member=0", .defrag),
        ("ALARM LIST", "OK rev=0 term=0 cluster=0 member=0 alarms=1 ALARM 8e9e NOSPACE", .alarm),
        ("ALARM disarm", "OK rev=0 term=0 cluster=0 member=0 alarms=0", .alarm),
        ("HASH --rev=9", "OK rev=9 term=0 cluster=0 member=0 hash=4294967295 compact_rev=3 hash_rev=9", .hash),
        ("PUT session alive --ttl=10", "OK rev=10 term=2 cluster=0 member=0 prev=0 lease=694d5765fc71500b ttl=10", .put),
        ("LEASE-GRANT 60 --id=694d", "OK rev=10 term=2 cluster=0 member=0 id=694d ttl=60", .leaseGrant),
        ("LEASE-GRANT 5 foo bar", "OK rev=11 term=2 cluster=0 member=0 id=3f35a1c2 ttl=5", .leaseGrant),
        ("LEASE-KEEPALIVE 694d", "OK rev=11 term=2 cluster=0 member=0 id=694d ttl=60", .leaseKeepAlive),
        ("LEASE-TTL 3f35a1c2 --keys", "OK rev=11 term=2 cluster=0 member=0 id=3f35a1c2 ttl=4 granted_ttl=5 keys=2 KEY bar KEY foo", .leaseTTL),
        ("LEASE-TTL 1234", "OK rev=11 term=2 cluster=0 member=0 id=1234 ttl=-1 granted_ttl=0 keys=0", .leaseTTL),
        ("LEASE-LIST", "OK rev=11 term=2 cluster=0 member=0 leases=2 LEASE 3f35a1c2 LEASE 694d", .leaseList),
        ("LEASE-REVOKE 694d", "OK rev=11 term=2 cluster=0 member=0", .leaseRevoke),
        ("@w WATCH foo --prefix --prev-kv", "@w OK rev=11 term=2 cluster=0 member=0 watch_id=1 created=1 events=0", .watch),
        ("@w WATCH foo --prefix --prev-kv", "@w EVENT rev=12 term=2 cluster=0 member=0 watch_id=1 events=1 EV PUT prev=1 KV foo baz 2 12 3 0 KV foo bar 2 9 2 0", .watch),
        ("@w WATCH foo --prefix --prev-kv", #"@w EVENT rev=13 term=2 cluster=0 member=0 watch_id=1 events=1 EV DELETE prev=0 KV foo "" 0 13 0 0"#, .watch),
        ("@w WATCH foo --prefix --prev-kv", "@w EVENT rev=13 term=2 cluster=0 member=0 watch_id=1 events=0", .watch),
        ("@old WATCH a --rev=2", "@old EVENT rev=0 term=2 cluster=0 member=0 watch_id=2 canceled=1 compact_rev=5 events=0", .watch),
        ("UNWATCH 1", "OK rev=13 term=2 cluster=0 member=0 watch_id=1 canceled=1 events=0", .unwatch),
        ("PROGRESS", "OK rev=13 term=2 cluster=0 member=0", .progress),
        (#"AUTHENTICATE alice "pass word""#, "OK rev=5 term=2 cluster=0 member=0", .authenticate),
        ("AUTH-STATUS", "OK rev=5 term=2 cluster=0 member=0 enabled=1 auth_rev=9", .authStatus),
        ("USER-LIST", "OK rev=5 term=2 cluster=0 member=0 users=2 USER alice USER root", .userList),
        ("USER-GET alice", "OK rev=5 term=2 cluster=0 member=0 roles=1 ROLE reader", .userGet),
        ("ROLE-LIST", "OK rev=5 term=2 cluster=0 member=0 roles=2 ROLE reader ROLE root", .roleList),
        ("ROLE-GRANT reader read /app/ --prefix", "OK rev=5 term=2 cluster=0 member=0", .roleGrant),
        ("ROLE-GET reader", #"OK rev=5 term=2 cluster=0 member=0 perms=2 PERM read "/app/" "/app0" PERM readwrite "k" """#, .roleGet),
        ("GET /other", #"ERR PERMISSION_DENIED "etcdserver: permission denied""#, .get),
        ("GET foo --rev=2", #"ERR COMPACTED "etcdserver: mvcc: required revision has been compacted" requested=2 compact_rev=5"#, .get),
    ]

    @Test(arguments: 0..<exchanges.count)
    func exchange(_ index: Int) throws {
        let (request, reply, kind) = Self.exchanges[index]
        let decoded = try #require(try RequestDecoder.decode(request))
        #expect(decoded.request.kind == kind)
        let typed = try ReplyDecoder.decode(reply, for: kind)
        #expect(typed.tag == decoded.tag)
        var buffer = ByteBuffer()
        if typed.isEvent, case .success(.watch(let event)) = typed.result {
            ReplyEncoder.encodeEvent(event, tag: typed.tag, into: &buffer)
        } else {
            ReplyEncoder.encode(typed.result, tag: typed.tag, into: &buffer)
        }
        #expect(String(decoding: buffer.readAll(), as: UTF8.self) == reply + "\n")
    }
}
