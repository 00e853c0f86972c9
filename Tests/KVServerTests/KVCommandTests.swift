import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

@Suite struct KVCommandTests {
    @Test func putGetDeleteWithOptions() throws {
        let server = try TestServer()
        let client = try server.client()
        defer { client.close() }
        #expect(client.endpoint == server.endpoint)
        #expect(client.hello.server == "kvserver")

        guard case .put(let first) = try client.call(.put(PutRequest(key: b("a/1"), value: b("one")))) else { Issue.record("put"); return }
        #expect(first.header.revision == 2)
        #expect(first.header.memberID == server.server.state.identity.memberID)
        #expect(first.header.clusterID == server.server.state.identity.clusterID)
        _ = try client.call(.put(PutRequest(key: b("a/2"), value: b("two"))))
        _ = try client.call(.put(PutRequest(key: b("b"), value: b("bee"))))
        guard case .put(let second) = try client.call(.put(PutRequest(key: b("a/1"), value: b("uno"), prevKV: true))) else { return }
        #expect(second.prevKV?.value == b("one"))

        guard case .range(let prefix) = try client.call(.range(RangeRequest(KeyRange.prefix(b("a/"))))) else { return }
        #expect(prefix.kvs.map(\.key) == [b("a/1"), b("a/2")])
        #expect(prefix.kvs[0].version == 2)

        var sorted = RangeRequest(KeyRange.prefix(b("a/")), limit: 1)
        sorted.sortOrder = .descend
        guard case .range(let limited) = try client.call(.range(sorted)) else { return }
        #expect(limited.kvs.map(\.key) == [b("a/2")] && limited.more && limited.count == 2)

        guard case .range(let old) = try client.call(.range(RangeRequest(key: b("a/1"), revision: 2))) else { return }
        #expect(old.kvs.first?.value == b("one"))

        var countOnly = RangeRequest(key: b("a"), rangeEnd: [0])
        countOnly.countOnly = true
        guard case .range(let counted) = try client.call(.range(countOnly)) else { return }
        #expect(counted.count == 3 && counted.kvs.isEmpty)

        guard case .deleteRange(let deleted) = try client.call(.deleteRange(DeleteRangeRequest(key: b("a/"), rangeEnd: KeyRange.prefixRangeEnd(b("a/")), prevKV: true))) else { return }
        #expect(deleted.deleted == 2 && deleted.prevKVs.count == 2)
        server.stop()
    }

    @Test func txnWithNestedOps() throws {
        let server = try TestServer()
        let client = try server.client()
        _ = try client.call(.put(PutRequest(key: b("foo"), value: b("bar"))))
        let txn = TxnRequest(
            compare: [Compare(key: b("foo"), result: .equal, target: .value(b("bar")))],
            success: [.put(PutRequest(key: b("foo"), value: b("baz"))),
                      .txn(TxnRequest(success: [.range(RangeRequest(key: b("foo")))]))],
            failure: [.range(RangeRequest(key: b("foo")))])
        guard case .txn(let response) = try client.call(.txn(txn)) else { Issue.record("txn"); return }
        #expect(response.succeeded)
        guard case .txn(let inner) = response.responses[1], case .range(let read) = inner.responses[0] else {
            Issue.record("nested"); return
        }
        #expect(read.kvs.first?.value == b("baz"))
        guard case .txn(let again) = try client.call(.txn(txn)) else { return }
        #expect(!again.succeeded)

        // Too many operations, with etcd's message.
        let big = TxnRequest(success: (0..<129).map { .put(PutRequest(key: b("k\($0)"), value: b("v"))) })
        #expect(throws: ClientError.self) { try client.call(.txn(big)) }
        do {
            _ = try client.call(.txn(big))
        } catch {
            #expect(error.kind == .server)
            #expect(error.description == "etcdserver: too many operations in txn request")
        }
        server.stop()
    }

    @Test func compactErrorsCarryEtcdMessages() throws {
        let server = try TestServer()
        let client = try server.client()
        for index in 0..<5 { _ = try client.call(.put(PutRequest(key: b("k"), value: b("\(index)")))) }
        _ = try client.call(.compact(CompactionRequest(revision: 4)))
        do {
            _ = try client.call(.compact(CompactionRequest(revision: 3)))
            Issue.record("expected COMPACTED")
        } catch {
            #expect(error.wire == .store(.compacted(requested: 3, compactedRevision: 4)))
            #expect(error.description == "etcdserver: mvcc: required revision has been compacted")
        }
        do {
            _ = try client.call(.compact(CompactionRequest(revision: 100)))
            Issue.record("expected FUTURE_REV")
        } catch {
            #expect(error.description == "etcdserver: mvcc: required revision is a future revision")
        }
        do {
            _ = try client.call(.range(RangeRequest(key: b("k"), revision: 2)))
            Issue.record("expected COMPACTED")
        } catch {
            #expect(error.wire?.code == "COMPACTED")
        }
        do {
            _ = try client.call(.put(PutRequest(key: [], value: b("v"))))
        } catch {
            #expect(error.description == "etcdserver: key is not provided")
        }
        server.stop()
    }

    @Test func statusMembersHealthHash() throws {
        let server = try TestServer { $0.name = "node-a"; $0.advertiseClientURLs = ["http://10.0.0.1:2379"] }
        let client = try server.client()
        _ = try client.call(.put(PutRequest(key: b("x"), value: b("1"))))
        guard case .status(let status) = try client.call(.status) else { Issue.record("status"); return }
        let identity = MemberIdentity(name: "node-a", advertiseClientURLs: ["http://10.0.0.1:2379"])
        #expect(status.leader == identity.memberID)
        #expect(status.header.memberID == identity.memberID && status.header.clusterID == identity.clusterID)
        #expect(status.raftIndex == 2 && status.dbSize > 0 && status.errors.isEmpty)
        #expect(status.version == "3.5.0" && status.version == Version.etcdCompatible)
        guard case .hello(let hello) = try client.call(.hello(HelloRequest())) else { Issue.record("hello"); return }
        #expect(hello.etcdVersion == Version.etcdCompatible && hello.version == Version.server)
        #expect(Version.etcdCluster == "3.5.0" && Version.clusterVersion(of: "3.4.23") == "3.4.0")

        guard case .memberList(let members) = try client.call(.memberList) else { return }
        #expect(members.members == [Member(id: identity.memberID, name: "node-a", peerURLs: ["http://localhost:2380"],
                                           clientURLs: ["http://10.0.0.1:2379"])])
        guard case .health(let health) = try client.call(.health) else { return }
        #expect(health.health)

        guard case .hashKV(let h1) = try client.call(.hashKV(HashKVRequest())) else { return }
        _ = try client.call(.put(PutRequest(key: b("y"), value: b("2"))))
        guard case .hashKV(let h2) = try client.call(.hashKV(HashKVRequest())) else { return }
        guard case .hashKV(let h1again) = try client.call(.hashKV(HashKVRequest(revision: 2))) else { return }
        #expect(h1.hash != h2.hash)
        #expect(h1again.hash == h1.hash && h1again.hashRevision == 2)
        #expect(h1.compactRevision == -1, "never compacted: -1, as etcd reports")
        // The same state in a fresh store hashes the same.
        let other = Store()
        _ = try other.put("x", "1")
        #expect(try KVHash.compute(store: other, revision: 0).hash == h1.hash)
        server.stop()
    }

    @Test func identityIsStableAndDistinct() {
        let a = MemberIdentity(name: "default", advertiseClientURLs: ["http://127.0.0.1:2379"])
        let again = MemberIdentity(name: "default", advertiseClientURLs: ["http://127.0.0.1:2379"])
        let b = MemberIdentity(name: "other", advertiseClientURLs: ["http://127.0.0.1:2379"])
        let c = MemberIdentity(name: "default", advertiseClientURLs: ["http://127.0.0.1:2380"])
        #expect(a == again)
        #expect(Set([a.memberID, b.memberID, c.memberID]).count == 3)
        #expect(a.clusterID != b.clusterID && a.memberID != 0)
    }

    @Test func crc32cVectors() {
        #expect(CRC32C.checksum(b("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xff, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
        var incremental = CRC32C()
        incremental.update(b("1234"))
        incremental.update(b("56789"))
        #expect(incremental.value == 0xE306_9283)
    }

    @Test func quotaRaisesNoSpaceAndClearsAutomatically() throws {
        let server = try TestServer { $0.quotaBackendBytes = 4096 }
        let client = try server.client()
        var refused: ClientError?
        for index in 0..<100 {
            do {
                _ = try client.call(.put(PutRequest(key: b("k\(index)"), value: [UInt8](repeating: 120, count: 200))))
            } catch {
                refused = error
                break
            }
        }
        #expect(refused?.wire == .store(.spaceExceeded))
        #expect(refused?.description == "etcdserver: mvcc: database space exceeded")
        guard case .status(let status) = try client.call(.status) else { return }
        #expect(status.errors.count == 1 && status.errors[0].hasSuffix("alarm:NOSPACE"))
        guard case .health(let health) = try client.call(.health) else { return }
        #expect(!health.health)
        // Reads and deletes still work; after a delete and a compaction the alarm clears by itself.
        _ = try client.call(.range(RangeRequest(key: b("k0"))))
        guard case .deleteRange(let deleted) = try client.call(.deleteRange(DeleteRangeRequest(key: b("k"), rangeEnd: b("l")))) else { return }
        _ = try client.call(.compact(CompactionRequest(revision: deleted.header.revision)))
        #expect(eventually { server.server.state.isNoSpaceAlarmed == false })
        _ = try client.call(.put(PutRequest(key: b("again"), value: b("ok"))))
        server.stop()
    }
}
