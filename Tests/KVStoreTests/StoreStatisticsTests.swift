import Testing
@testable import KVStore
import TestSupport

/// `Store.statistics`: what each operation counts (etcd's meaning of its mvcc and lease counters), and
/// the live key count kept by every write against a full scan (`keyCount`).
@Suite struct StoreStatisticsTests {
    private func fresh() -> (Store, ManualClock) {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        return (Store(configuration: StoreConfiguration(clock: clock, treeNodeCapacity: 4)), clock)
    }

    private func k(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// One operation and the counters it must move: (ranges, puts, deletes, txns).
    static let cases: [(String, @Sendable (Store) throws -> Void, (UInt64, UInt64, UInt64, UInt64))] = [
        ("single-key range", { _ = try $0.range(RangeRequest(key: Array("a".utf8))) }, (1, 0, 0, 0)),
        ("multi-key range", { _ = try $0.range(RangeRequest(key: Array("a".utf8), rangeEnd: [0])) }, (1, 0, 0, 0)),
        ("range cursor", { _ = try $0.rangeCursor(RangeRequest(key: Array("a".utf8), rangeEnd: [0])) }, (1, 0, 0, 0)),
        ("put", { _ = try $0.put("n", "1") }, (0, 1, 0, 0)),
        ("delete of a missing key", { _ = try $0.delete("missing") }, (0, 0, 1, 0)),
        ("delete range of two keys", { _ = try $0.delete(prefix: "a") }, (0, 0, 1, 0)),
        ("txn with a range, two puts, a delete", {
            _ = try $0.txn(TxnRequest(success: [.range(RangeRequest(key: Array("a".utf8))),
                                               .put(PutRequest(key: Array("x".utf8), value: [])),
                                               .put(PutRequest(key: Array("y".utf8), value: [])),
                                               .deleteRange(DeleteRangeRequest(key: Array("b".utf8)))]))
        }, (1, 2, 1, 1)),
        ("empty txn", { _ = try $0.txn(TxnRequest()) }, (0, 0, 0, 1)),
        ("refused put (empty key)", { _ = try? $0.put("", "v") }, (0, 0, 0, 0)),
    ]

    @Test(arguments: 0..<cases.count)
    func operationCounters(_ index: Int) throws {
        let (name, operation, expected) = Self.cases[index]
        let (store, _) = fresh()
        try store.put("a1", "1")
        try store.put("a2", "2")
        let before = store.statistics
        try operation(store)
        let after = store.statistics
        let moved = (after.ranges - before.ranges, after.puts - before.puts, after.deletes - before.deletes,
                     after.txns - before.txns)
        #expect(moved == expected, "\(name)")
    }

    @Test func leaseCounters() throws {
        let (store, clock) = fresh()
        try store.put("k", "v")
        let a = try store.grantLease(ttl: 10, attaching: [k("k")])
        let b = try store.grantLease(ttl: 5)
        _ = try store.put(PutRequest(key: k("t"), value: k("v")), ttl: 5)
        _ = try store.keepAliveLease(a.id)
        _ = try? store.keepAliveLease(12345)
        _ = try store.revokeLease(b.id)
        var statistics = store.statistics
        #expect(statistics.leasesGranted == 3 && statistics.leasesRenewed == 1 && statistics.leasesRevoked == 1)
        #expect(statistics.leases == 2)
        // The attach rewrote `k` under the lease: one more put, no new key.
        #expect(statistics.puts == 3 && statistics.keys == 2)
        clock.advance(nanoseconds: 11_000_000_000)
        #expect(store.expireLeases() == 2)
        statistics = store.statistics
        #expect(statistics.leasesRevoked == 3 && statistics.leases == 0 && statistics.keys == 0)
        // Each key a revocation deletes is one delete, as etcd's lessor counts it.
        #expect(statistics.deletes == 2)
    }

    @Test func gauges() throws {
        let (store, _) = fresh()
        for i in 0..<5 { try store.put("k\(i)", "v") }
        let watcher = try store.watch(WatchRequest(key: k("k"), rangeEnd: k("l")), onReady: {})
        var statistics = store.statistics
        #expect(statistics.revision == 6 && statistics.compactedRevision == 0 && statistics.keys == 5)
        #expect(statistics.watchers == 1 && statistics.slowWatchers == 0)
        #expect(statistics.sizeInBytes == store.sizeInBytes && statistics.sizeInBytes > 0)
        _ = try store.compact(CompactionRequest(revision: 4))
        statistics = store.statistics
        #expect(statistics.compactedRevision == 4 && statistics.keys == 5)
        store.cancelWatch(watcher.id)
        #expect(store.statistics.watchers == 0)
    }

    /// Random puts, deletes, transactions, lease revocations and compactions: after each, the maintained
    /// count equals a full scan; a snapshot restores the count too.
    @Test func liveKeyCountMatchesAScan() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("StoreStatisticsTests.liveKeyCountMatchesAScan seed=\(seed)")
        var rng = SeededGenerator(seed: seed)
        let (store, clock) = fresh()
        func key() -> [UInt8] { k("k\(Int.random(in: 0..<40, using: &rng))") }
        for step in 0..<600 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3: _ = try store.put(PutRequest(key: key(), value: k("v\(step)")))
            case 4: _ = try store.deleteRange(DeleteRangeRequest(key: key()))
            case 5: _ = try store.deleteRange(DeleteRangeRequest(key: key(), rangeEnd: key()))
            case 6:
                // May name one key twice: refused as a whole, which must count nothing either.
                _ = try? store.txn(TxnRequest(success: [.put(PutRequest(key: key(), value: [])),
                                                       .deleteRange(DeleteRangeRequest(key: key())),
                                                       .put(PutRequest(key: key(), value: []))]))
            case 7: _ = try store.put(PutRequest(key: key(), value: k("leased")), ttl: 2)
            case 8:
                clock.advance(nanoseconds: 1_000_000_000)
                store.expireLeases()
            default:
                let revision = store.revision
                if revision > store.compactedRevision + 1 {
                    _ = try store.compact(CompactionRequest(revision: revision - 1))
                }
            }
            #expect(store.statistics.keys == store.keyCount, "step \(step), seed \(seed)")
        }
        let restored = try Store.restore(from: source(try save(store)))
        #expect(restored.statistics.keys == store.keyCount)
    }
}
