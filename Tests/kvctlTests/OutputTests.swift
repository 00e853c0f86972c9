import Testing
import KVStore
import KVProtocol
@testable import KVCtlCore

/// Command × format output against the reference transcripts, through kvctl's whole code path on an
/// in-process store (cluster 12141362416698482028, member 8439526027888870300, raft term 2).
@Suite struct OutputTests {
    let h = "\"header\":{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,"
    let fieldsHeader = "\"ClusterID\" : 12141362416698482028\n\"MemberID\" : 8439526027888870300\n"

    func seeded() -> StoreBackend {
        let backend = StoreBackend(store: Store())
        _ = kvctl("put foo qux2", backend: backend)        // revision 2
        return backend
    }

    @Test func get() {
        let b = seeded()
        #expect(kvctl("get foo", backend: b).out == "foo\nqux2\n")
        #expect(kvctl("get foo -w json", backend: b).out ==
            "{\(h)\"revision\":2,\"raft_term\":2},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":2,\"version\":1,\"value\":\"cXV4Mg==\"}],\"count\":1}\n")
        #expect(kvctl("get foo -w fields", backend: b).out == fieldsHeader +
            "\"Revision\" : 2\n\"RaftTerm\" : 2\n\"Key\" : \"foo\"\n\"CreateRevision\" : 2\n\"ModRevision\" : 2\n\"Version\" : 1\n\"Value\" : \"qux2\"\n\"Lease\" : 0\n\"More\" : false\n\"Count\" : 1\n")
        #expect(kvctl("get nosuch", backend: b) .out == "")
        #expect(kvctl("get nosuch -w json", backend: b).out == "{\(h)\"revision\":2,\"raft_term\":2}}\n")
        #expect(kvctl("get foo --hex", backend: b).out == "\\x66\\x6f\\x6f\n\\x71\\x75\\x78\\x32\n")
        #expect(kvctl("get foo --print-value-only", backend: b).out == "qux2\n")
        #expect(kvctl("get foo --keys-only", backend: b).out == "foo\n\n")
        let pvo = kvctl("get foo --print-value-only -w json", backend: b)
        #expect(pvo.err == "Error: print-value-only is only for `--write-out=simple`\n" && pvo.code == 128)
        let table = kvctl("get foo -w table", backend: b)
        #expect(table.err == "Error: table not supported as output format\n" && table.code == 4)
        let future = kvctl("get foo --rev 1000", backend: b)
        #expect(future.err == "Error: etcdserver: mvcc: required revision is a future revision\n" && future.code == 1)
    }

    @Test func putAndDel() {
        let b = seeded()
        #expect(kvctl("put foo bar3 -w json", backend: b).out == "{\(h)\"revision\":3,\"raft_term\":2}}\n")
        #expect(kvctl("put foo bar4 --prev-kv -w json", backend: b).out ==
            "{\(h)\"revision\":4,\"raft_term\":2},\"prev_kv\":{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":3,\"version\":2,\"value\":\"YmFyMw==\"}}\n")
        #expect(kvctl("put foo bar5 --prev-kv -w fields", backend: b).out == fieldsHeader +
            "\"Revision\" : 5\n\"RaftTerm\" : 2\n\"PrevKey\" : \"foo\"\n\"PrevCreateRevision\" : 2\n\"PrevModRevision\" : 4\n\"PrevVersion\" : 3\n\"PrevValue\" : \"bar4\"\n\"PrevLease\" : 0\n")
        #expect(kvctl("put foo bar6 --prev-kv", backend: b).out == "OK\nfoo\nbar5\n")
        #expect(kvctl(["put", "k"], stdin: "hello\n", backend: b).out == "OK\n")
        #expect(kvctl("get k --print-value-only", backend: b).out == "hello\n\n")
        _ = kvctl("put d/a 1", backend: b); _ = kvctl("put d/b 2", backend: b)
        #expect(kvctl("del d/ --prefix --prev-kv", backend: b).out == "2\nd/a\n1\nd/b\n2\n")
        #expect(kvctl("del d/a", backend: b).out == "0\n")
        #expect(kvctl("del nosuch -w json", backend: b).out.hasSuffix("\"raft_term\":2}}\n"))
    }

    @Test func txn() {
        let b = seeded()
        let input = "value(\"foo\") = \"qux2\"\n\nput t/1 one\nget foo\n\nput t/1 failed\n\n"
        #expect(kvctl(["txn"], stdin: input, backend: b).out == "SUCCESS\n\nOK\n\nfoo\nqux2\n")
        let json = kvctl(["txn", "-w", "json"], stdin: "ver(\"foo\") = \"5\"\n\n\nput t/2 two\nget t/1\n\n", backend: b).out
        #expect(json == "{\(h)\"revision\":4,\"raft_term\":2},\"responses\":[{\"Response\":{\"ResponsePut\":{\"header\":{\"revision\":4}}}},{\"Response\":{\"ResponseRange\":{\"header\":{\"revision\":4},\"kvs\":[{\"key\":\"dC8x\",\"create_revision\":3,\"mod_revision\":3,\"version\":1,\"value\":\"b25l\"}],\"count\":1}}}]}\n")
        #expect(kvctl(["txn", "-w", "json"], stdin: "\n\n\n", backend: b).out == "{\(h)\"revision\":4,\"raft_term\":2},\"succeeded\":true}\n")
        #expect(kvctl(["txn", "-i"], stdin: "\n\n\n", backend: b).out ==
            "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n")
    }

    @Test(arguments: [
        ("value(\"a\") = \"x\"\n", "Error: EOF\n", Int32(3)),
        ("bogus\n\n\n\n", "Error: malformed comparison: bogus\n", 3),
        ("value(t1) = \"v1\"\n\n\n\n", "Error: malformed comparison: value(t1) = \"v1\"; got value(\"\")  \"\"\n", 3),
        ("nope(\"t/1\") = \"x\"\n\n\n\n", "Error: malformed comparison: nope(\"t/1\") = \"x\" (unknown target nope)\n", 3),
        ("ver(\"t/1\") = \"abc\"\n\n\n\n", "Error: invalid txn compare request: ver(\"t/1\") = \"abc\"\n", 3),
        ("ver(\"t/1\") >= \"1\"\n\n\n\n", "Error: malformed comparison: ver(\"t/1\") >= \"1\" (unsupported operator >=; use =, !=, < or >)\n", 3),
        ("\nfrob t/1 x\n\n\n", "Error: invalid txn request: frob t/1 x\n", 3),
        ("\nget\n\n\n", "Error: invalid txn compare request: get\n", 3),
        ("\nput t1\n\n\n", "Error: put command needs 1 argument and input from stdin or 2 arguments\n", 128),
        ("\nput t1 x --bogus\n\n\n", "Error: invalid txn request: put t1 x --bogus\n", 3),
    ])
    func txnErrors(input: String, stderr: String, code: Int32) {
        let r = kvctl(["txn"], stdin: input, backend: seeded())
        #expect(r.err == stderr)
        #expect(r.code == code)
    }

    @Test func txnQuotingAndLeaseCompare() {
        let b = seeded()
        #expect(kvctl(["txn"], stdin: "\nput 'sq key' 'sq val'\nput \"dq\\tkey\" v\n\n\n", backend: b).code == 0)
        #expect(kvctl(["get", "sq key", "--print-value-only"], backend: b).out == "sq val\n")
        #expect(kvctl(["get", "dq\tkey", "--print-value-only"], backend: b).out == "v\n")
        let lease = kvctl(["txn"], stdin: "lease(\"foo\") = \"0\"\n\nget foo\n\n\n", backend: b)
        #expect(lease.out == "SUCCESS\n\nfoo\nqux2\n")
    }

    @Test func leases() throws {
        let b = seeded()
        let grant = kvctl("lease grant 100", backend: b).out
        #expect(grant.hasPrefix("lease ") && grant.hasSuffix(" granted with TTL(100s)\n"))
        let id = String(grant.dropFirst(6).prefix(16))
        let decimal = String(try GoParse.int64(id, base: 16).get())
        #expect(kvctl("lease keep-alive --once \(id)", backend: b).out == "lease \(id) keepalived with TTL(100)\n")
        #expect(kvctl("lease keep-alive --once \(id) -w json", backend: b).out ==
            "{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,\"revision\":2,\"raft_term\":2,\"ID\":\(decimal),\"TTL\":100}\n")
        _ = kvctl("put lk1 v --lease=\(id)", backend: b)
        #expect(kvctl("lease timetolive \(id) --keys", backend: b).out.hasSuffix(", attached keys([lk1])\n"))
        #expect(kvctl("lease timetolive 1234abcd", backend: b).out == "lease 000000001234abcd already expired\n")
        #expect(kvctl("lease timetolive 1234abcd -w json", backend: b).out ==
            "{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,\"raft_term\":2,\"id\":305441741,\"ttl\":-1,\"granted-ttl\":0,\"keys\":null}\n".replacingOccurrences(of: "\"raft_term\":2,\"id\"", with: "\"revision\":3,\"raft_term\":2,\"id\""))
        #expect(kvctl("lease list", backend: b).out == "found 1 leases\n\(id)\n")
        #expect(kvctl("lease revoke \(id)", backend: b).out == "lease \(id) revoked\n")
        let again = kvctl("lease revoke \(id)", backend: b)
        #expect(again.err == "Error: failed to revoke lease (etcdserver: requested lease not found)\n" && again.code == 1)
        let once = kvctl("lease keep-alive --once 1234abcd", backend: b)
        #expect(once.err == "Error: etcdserver: requested lease not found\n" && once.code == 2)
        #expect(kvctl("lease list -w json", backend: b).out.hasSuffix(",\"leases\":[]}\n"))
    }

    @Test func cluster() {
        let b = seeded()
        #expect(kvctl("member list", backend: b).out == "751f383534fac39c, started, refa, http://127.0.0.1:24101, http://127.0.0.1:24001, false\n")
        #expect(kvctl("member list -w json", backend: b).out ==
            "{\(h)\"raft_term\":2},\"members\":[{\"ID\":8439526027888870300,\"name\":\"refa\",\"peerURLs\":[\"http://127.0.0.1:24101\"],\"clientURLs\":[\"http://127.0.0.1:24001\"]}]}\n")
        #expect(kvctl("member list -w table", backend: b).out == """
            +------------------+---------+------+------------------------+------------------------+------------+
            |        ID        | STATUS  | NAME |       PEER ADDRS       |      CLIENT ADDRS      | IS LEARNER |
            +------------------+---------+------+------------------------+------------------------+------------+
            | 751f383534fac39c | started | refa | http://127.0.0.1:24101 | http://127.0.0.1:24001 |      false |
            +------------------+---------+------+------------------------+------------------------+------------+

            """)
        let ep = "--endpoints=127.0.0.1:24001"
        #expect(kvctl("endpoint status \(ep)", backend: b).out == "127.0.0.1:24001, 751f383534fac39c, 3.4.23, 25 kB, true, false, 2, 4, 4, \n")
        #expect(kvctl("endpoint status \(ep) -w table", backend: b).out == """
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
            |    ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
            | 127.0.0.1:24001 | 751f383534fac39c |  3.4.23 |   25 kB |      true |      false |         2 |          4 |                  4 |        |
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+

            """)
        #expect(kvctl("endpoint status \(ep) -w json", backend: b).out ==
            "[{\"Endpoint\":\"127.0.0.1:24001\",\"Status\":{\(h)\"revision\":2,\"raft_term\":2},\"version\":\"3.4.23\",\"dbSize\":24576,\"leader\":8439526027888870300,\"raftIndex\":4,\"raftTerm\":2,\"raftAppliedIndex\":4,\"dbSizeInUse\":16384}}]\n")
        #expect(kvctl("endpoint hashkv \(ep) -w json", backend: b).out ==
            "[{\"Endpoint\":\"127.0.0.1:24001\",\"HashKV\":{\(h)\"revision\":2,\"raft_term\":2},\"hash\":1084519789,\"compact_revision\":-1}}]\n")
        #expect(kvctl("endpoint hashkv \(ep)", backend: b).out == "127.0.0.1:24001, 1084519789\n")
        let health = kvctl("endpoint health \(ep)", backend: b)
        #expect(health.out == "" && health.err.hasPrefix("127.0.0.1:24001 is healthy: successfully committed proposal: took = "))
        #expect(kvctl("endpoint health \(ep) -w protobuf", backend: b).code == 4)
        #expect(kvctl("compaction 2", backend: b).out == "compacted revision 2\n")
    }

    @Test func watch() {
        let b = seeded()
        let hdr = ResponseHeader(clusterID: 12141362416698482028, memberID: 8439526027888870300, revision: 41, raftTerm: 2)
        b.scriptedWatch = [WatchResponse(header: hdr, watchID: 1, events: [
            Event(type: .put, kv: KeyValue(key: Array("w/a".utf8), value: Array("1".utf8), createRevision: 38, modRevision: 38, version: 1)),
            Event(type: .delete, kv: KeyValue(key: Array("w/a".utf8), value: [], createRevision: 0, modRevision: 41, version: 0)),
        ])]
        let simple = kvctl("watch w/ --prefix", backend: b)
        #expect(simple.out == "PUT\nw/a\n1\nDELETE\nw/a\n\n")
        #expect(simple.code == 5)
        #expect(simple.err == "Error: watch is canceled by the server\n")
        b.scriptedWatch = [WatchResponse(header: hdr, watchID: 1, events: [
            Event(type: .delete, kv: KeyValue(key: Array("w/a".utf8), value: [], createRevision: 0, modRevision: 41, version: 0)),
        ])]
        #expect(kvctl("watch w/a -w json", backend: b).out ==
            "{\"Header\":{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,\"revision\":41,\"raft_term\":2},\"Events\":[{\"type\":1,\"kv\":{\"key\":\"dy9h\",\"mod_revision\":41}}],\"CompactRevision\":0,\"Canceled\":false,\"Created\":false}\n")
        b.scriptedWatch = [WatchResponse(header: ResponseHeader(clusterID: 12141362416698482028, memberID: 8439526027888870300, revision: 0, raftTerm: 2),
                                         watchID: 1, canceled: true, compactRevision: 14)]
        let canceled = kvctl("watch k/a --rev 5 -w json", backend: b)
        #expect(canceled.out == "{\"Header\":{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,\"raft_term\":2},\"Events\":[],\"CompactRevision\":14,\"Canceled\":true,\"Created\":false}\n")
        #expect(canceled.err == "watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n")
        b.scriptedWatch = [WatchResponse(header: hdr, watchID: 1, events: [
            Event(type: .put, kv: KeyValue(key: Array("foo".utf8), value: Array("bar6".utf8), createRevision: 2, modRevision: 41, version: 3)),
        ])]
        let exec = kvctl(["watch", "foo", "--", "sh", "-c", "echo \"exec: type=$ETCD_WATCH_EVENT_TYPE key=$ETCD_WATCH_KEY value=$ETCD_WATCH_VALUE rev=$ETCD_WATCH_REVISION\" >&2"], backend: b)
        #expect(exec.out == "PUT\nfoo\nbar6\n")
    }
}
