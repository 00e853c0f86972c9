import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

struct LeaseTests {
    private func makeStore() -> (Store, ManualClock) {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        return (Store(configuration: StoreConfiguration(clock: clock, treeNodeCapacity: 4)), clock)
    }

    @Test func grantRespectsFloorCeilingAndIDs() throws {
        let (store, _) = makeStore()
        let cases: [(ttl: Int64, expected: Int64)] = [(0, 2), (1, 2), (2, 2), (3, 3), (LeaseLimits.maximumTTL, LeaseLimits.maximumTTL)]
        for c in cases { #expect(try store.grantLease(ttl: c.ttl).ttl == c.expected, "ttl \(c.ttl)") }
        #expect(throws: StoreError.leaseTTLTooLarge(ttl: LeaseLimits.maximumTTL + 1)) { try store.grantLease(ttl: LeaseLimits.maximumTTL + 1) }
        let chosen = try store.grantLease(ttl: 10, id: 0x1234abcd)
        #expect(chosen.id == 0x1234abcd)
        #expect(throws: StoreError.leaseExists(id: 0x1234abcd)) { try store.grantLease(ttl: 10, id: 0x1234abcd) }
        var ids: Set<Int64> = []
        for _ in 0..<200 {
            let id = try store.grantLease(ttl: 5).id
            #expect(id > 0)
            ids.insert(id)
        }
        #expect(ids.count == 200, "random IDs are unique")
        #expect(store.revision == 1, "granting does not advance the revision")
        #expect(StoreError.leaseExists(id: 1).description == "etcdserver: lease already exists")
    }

    @Test func revokeDeletesAttachedKeysInOneRevision() throws {
        let (store, _) = makeStore()
        let lease = try store.grantLease(ttl: 60).id
        for k in ["b", "a", "c"] { try store.put(k, "v", lease: lease) }
        try store.put("free", "v")
        #expect(try store.get("a")?.lease == lease)
        let stream = try store.watch(WatchRequest(key: [0], rangeEnd: [0]))
        let before = store.revision
        _ = try store.revokeLease(lease)
        #expect(store.revision == before + 1)
        #expect(try store.get(prefix: "").map(\.keyString) == ["free"])
        #expect(throws: StoreError.leaseNotFound(id: lease)) { try store.revokeLease(lease) }
        #expect(throws: StoreError.leaseNotFound(id: lease)) { try store.put(PutRequest(key: b("x"), value: [], lease: lease)) }
        let responses = stream.watcher.poll()
        let events = responses.flatMap(\.events)
        #expect(events.map(\.kv.keyString) == ["a", "b", "c"], "deleted in key order")
        #expect(events.allSatisfy { $0.type == .delete && $0.kv.modRevision == before + 1 })
        #expect(responses.filter { !$0.events.isEmpty }.count == 1, "one response for the one revision")
    }

    @Test func putWithoutLeaseDetachesAndIgnoreLeaseKeeps() throws {
        let (store, _) = makeStore()
        let lease = try store.grantLease(ttl: 60).id
        try store.put("a", "1", lease: lease)
        try store.put("b", "1", lease: lease)
        try store.put("a", "2")                                               // detaches a
        _ = try store.put(PutRequest(key: b("b"), value: b("2"), ignoreLease: true))  // b stays attached
        #expect(store.leaseTimeToLive(lease, keys: true).keys == [b("b")])
        _ = try store.revokeLease(lease)
        #expect(try store.get("a") != nil)
        #expect(try store.get("b") == nil)
    }

    @Test func expiryWithTheManualClock() throws {
        let (store, clock) = makeStore()
        let short = try store.grantLease(ttl: 5).id
        let long = try store.grantLease(ttl: 50).id
        try store.put("s", "v", lease: short)
        try store.put("l", "v", lease: long)
        #expect(store.leases().leases == [short, long])
        #expect(store.leaseTimeToLive(short).ttl == 4 || store.leaseTimeToLive(short).ttl == 5)
        clock.advance(seconds: 4)
        #expect(store.expireLeases() == 0)
        #expect(store.leaseTimeToLive(short).ttl == 1)
        #expect(store.leaseTimeToLive(short).grantedTTL == 5)
        #expect(try store.keepAliveLease(short).ttl == 5)
        clock.advance(seconds: 4)
        #expect(store.expireLeases() == 0, "keep-alive renewed it")
        clock.advance(seconds: 2)
        #expect(store.expireLeases() == 1)
        #expect(try store.get("s") == nil)
        #expect(try store.get("l") != nil)
        let gone = store.leaseTimeToLive(short)
        #expect(gone.ttl == -1 && gone.grantedTTL == 0)
        #expect(throws: StoreError.leaseNotFound(id: short)) { try store.keepAliveLease(short) }
        clock.advance(seconds: 100)
        #expect(store.expireLeases() == 1)
        #expect(store.leases().leases.isEmpty)
    }

    @Test func aHundredThousandLeasesExpireInSlices() throws {
        let (store, clock) = makeStore()
        for i in 0..<100_000 {
            let id = try store.grantLease(ttl: 10).id
            try store.put(b("k\(i)"), [], lease: id)
        }
        let before = store.revision
        clock.advance(seconds: 11)
        #expect(store.nextLeaseDeadline! <= clock.nowNanoseconds())
        #expect(store.expireLeases(slice: 1000) == 100_000)
        #expect(store.revision == before + 100_000, "each lease is revoked in its own revision")
        #expect(store.keyCount == 0)
        #expect(store.leases().leases.isEmpty)
    }

    @Test func grantAttachingExistingKeysAndPutWithTTL() throws {
        let (store, clock) = makeStore()
        try store.put("k1", "one")
        try store.put("k2", "two")
        #expect(throws: StoreError.keyNotFound) { try store.grantLease(ttl: 10, attaching: [b("k1"), b("nope")]) }
        #expect(store.leases().leases.isEmpty, "nothing granted when a key is missing")
        let rev = store.revision
        let lease = try store.grantLease(ttl: 10, attaching: [b("k2"), b("k1")]).id
        #expect(store.revision == rev + 1, "all keys re-put in one revision")
        #expect(try store.get("k1")?.valueString == "one")
        #expect(try store.get("k1")?.lease == lease)
        let (granted, _) = try store.put(PutRequest(key: b("t"), value: b("v")), ttl: 3)
        #expect(try store.get("t")?.lease == granted.id)
        clock.advance(seconds: 11)
        #expect(store.expireLeases() == 2)
        #expect(store.keyCount == 0)
    }
}

/// Leases count in the store's size (so in a server's quota): a fixed cost each, plus each attached key.
struct LeaseFootprintTests {
    private func makeStore() -> (Store, ManualClock) {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        return (Store(configuration: StoreConfiguration(clock: clock, treeNodeCapacity: 4)), clock)
    }

    @Test func leasesAndAttachedKeysCountInTheStoresSize() throws {
        let (store, clock) = makeStore()
        let empty = store.sizeInBytes
        let perLease = Store.bytesPerLease
        #expect(perLease == 256)
        var ids: [Int64] = []
        for _ in 0..<100 { ids.append(try store.grantLease(ttl: 60).id) }
        #expect(store.sizeInBytes == empty + 100 * perLease)

        // A key attached costs its bytes and the entry in the lease's key set; moving it to another
        // lease moves that cost, and a second put under the same lease costs nothing more.
        try store.put(b("held"), b("v"), lease: ids[0])
        let withKey = store.sizeInBytes
        let recordCost = withKey - empty - 100 * perLease - (48 + 4)
        #expect(recordCost > 0)
        try store.put(b("held"), b("w"), lease: ids[0])
        #expect(store.sizeInBytes == withKey + recordCost, "the new version only")
        try store.put(b("held"), b("x"), lease: ids[1])
        #expect(store.sizeInBytes == withKey + 2 * recordCost)

        // Revoking and expiry give the cost back (the deleted key's history stays until compaction).
        for id in ids[2..<50] { _ = try store.revokeLease(id) }
        #expect(store.sizeInBytes == withKey + 2 * recordCost - 48 * perLease)
        clock.advance(seconds: 61)
        #expect(store.expireLeases() == 52)
        let afterExpiry = store.sizeInBytes
        try store.compact(store.revision)
        #expect(store.sizeInBytes < afterExpiry)
        #expect(store.sizeInBytes == empty, "nothing left: no lease, no key, no history")
    }

    @Test func grantingWithKeysAndPutWithTTLCountTheLease() throws {
        let (store, _) = makeStore()
        try store.put(b("a"), b("1"))
        try store.put(b("bb"), b("2"))
        let before = store.sizeInBytes
        let grant = try store.grantLease(ttl: 60, attaching: [b("a"), b("bb")])
        #expect(store.sizeInBytes - before > Store.bytesPerLease + 2 * 48 + 3, "the lease, its keys, and their new versions")
        _ = try store.revokeLease(grant.id)
        try store.compact(store.revision)
        let base = store.sizeInBytes
        let (lease, _) = try store.put(PutRequest(key: b("c"), value: b("3")), ttl: 30)
        #expect(store.leaseTimeToLive(lease.id).ttl == 30)
        #expect(store.sizeInBytes - base > Store.bytesPerLease + 48 + 1, "the lease, the key in it, the record")
        _ = try store.revokeLease(lease.id)
        try store.compact(store.revision)
        #expect(store.sizeInBytes == base)
    }

    /// A restored store counts its leases as the original did.
    @Test func aRestoredStoreHasTheSameSize() throws {
        let (store, _) = makeStore()
        for index in 0..<20 {
            let id = try store.grantLease(ttl: 60).id
            if index % 3 == 0 { try store.put(b("k\(index)"), b("v"), lease: id) }
        }
        let restored = try Store.restore(configuration: StoreConfiguration(clock: ManualClock(nanoseconds: 1_000_000_000)),
                                         from: source(try save(store)))
        #expect(restored.sizeInBytes == store.sizeInBytes)
    }
}
