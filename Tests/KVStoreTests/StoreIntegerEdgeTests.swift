import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Every integer a request hands the store, at the int64 edges: each is checked, clamped or compared —
/// it never sizes an allocation, indexes anything or meets arithmetic that can overflow.
struct StoreIntegerEdgeTests {
    static let edges: [Int64] = [.min, -1, 0, 1, 2, .max - 1, .max]

    /// `a`=1, `b`=2, `c`=3 at revisions 2, 3, 4.
    static func seeded(clock: ManualClock = ManualClock()) throws -> Store {
        let store = Store(configuration: StoreConfiguration(clock: clock))
        for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] { try store.put(key, value) }
        return store
    }

    @Test(arguments: edges)
    func rangeOptions(value: Int64) throws {
        let store = try Self.seeded()
        let all = RangeRequest(key: b("a"), rangeEnd: b("z"))
        // limit: at most that many when positive, no limit otherwise.
        for order in [SortOrder.none, .ascend, .descend] {
            var request = all
            request.limit = value
            request.sortOrder = order
            request.sortTarget = order == .none ? .key : .mod
            let response = try store.range(request)
            let kept = value > 0 && value < 3 ? Int(value) : 3
            #expect(response.kvs.count == kept && response.count == 3 && response.more == (kept < 3))
        }
        // revision: the current one at 0 or below, refused above it.
        var atRevision = all
        atRevision.revision = value
        if value > 4 {
            #expect(throws: StoreError.futureRevision(requested: value, currentRevision: 4)) { try store.range(atRevision) }
        } else {
            #expect(try store.range(atRevision).kvs.count == (value <= 0 ? 3 : max(0, Int(value) - 1)))
        }
        // The revision filters compare, and 0 means no filter.
        let mods: [Int64] = [2, 3, 4]
        let filters: [(WritableKeyPath<RangeRequest, Int64>, (Int64) -> Bool)] = [
            (\.minModRevision, { value == 0 || $0 >= value }), (\.maxModRevision, { value == 0 || $0 <= value }),
            (\.minCreateRevision, { value == 0 || $0 >= value }), (\.maxCreateRevision, { value == 0 || $0 <= value }),
        ]
        for (path, keep) in filters {
            var filtered = all
            filtered[keyPath: path] = value
            #expect(try store.range(filtered).kvs.count == mods.filter(keep).count)
        }
    }

    @Test(arguments: edges)
    func compaction(revision: Int64) throws {
        let store = try Self.seeded()
        if revision > 4 {
            #expect(throws: StoreError.futureRevision(requested: revision, currentRevision: 4)) { try store.compact(revision) }
        } else if revision <= 0 {
            #expect(throws: StoreError.compacted(requested: revision, compactedRevision: 0)) { try store.compact(revision) }
        } else {
            _ = try store.compact(revision)
            #expect(store.compactedRevision == revision)
        }
    }

    @Test(arguments: edges)
    func watchStartRevision(start: Int64) throws {
        let store = try Self.seeded()
        let watcher = try store.watch(WatchRequest(key: b("a"), startRevision: start), onReady: {})
        try store.put("a", "9")
        var events: [Int64] = []
        for _ in 0..<10 {
            let responses = watcher.poll()
            if responses.isEmpty { break }
            events += responses.flatMap(\.events).map(\.kv.modRevision)
        }
        // From the start revision when it is in the past; only changes at or after it otherwise.
        let expected: [Int64] = start <= 0 ? [5] : start <= 2 ? [2, 5] : start <= 5 ? [5] : []
        #expect(events == expected)
    }

    @Test(arguments: edges)
    func snapshotRevision(revision: Int64) throws {
        let store = try Self.seeded()
        if revision > 4 {
            #expect(throws: SnapshotError.store(.futureRevision(requested: revision, currentRevision: 4))) {
                try SnapshotCursor(store: store, revision: revision)
            }
        } else {
            #expect(try SnapshotCursor(store: store, revision: revision).revision == (revision <= 0 ? 4 : revision))
        }
    }

    /// TTLs: at least 2 seconds, refused above etcd's 9,000,000,000; deadlines saturate at the clock's end.
    @Test(arguments: edges + [LeaseLimits.maximumTTL, LeaseLimits.maximumTTL + 1])
    func leaseTTL(ttl: Int64) throws {
        for nearTheEnd in [false, true] {
            let clock = ManualClock(nanoseconds: nearTheEnd ? UInt64.max - 10_000_000_000 : 0)
            let store = try Self.seeded(clock: clock)
            if ttl > LeaseLimits.maximumTTL {
                #expect(throws: StoreError.leaseTTLTooLarge(ttl: ttl)) { try store.grantLease(ttl: ttl) }
                #expect(throws: StoreError.leaseTTLTooLarge(ttl: ttl)) { try store.put(PutRequest(key: b("k"), value: b("v")), ttl: ttl) }
                #expect(StoreError.leaseTTLTooLarge(ttl: ttl).description == "etcdserver: too large lease TTL")
                continue
            }
            let granted = max(ttl, LeaseLimits.minimumTTL)
            let lease = try store.grantLease(ttl: ttl)
            #expect(lease.ttl == granted)
            let (leased, _) = try store.put(PutRequest(key: b("k"), value: b("v")), ttl: ttl)
            #expect(leased.ttl == granted)
            #expect(try store.keepAliveLease(lease.id).ttl == granted)
            let remaining = store.leaseTimeToLive(lease.id).ttl
            #expect(remaining > 0 && remaining <= granted)
            clock.advance(seconds: 1)
            #expect(store.expireLeases() == 0, "nothing expires after a second")
        }
    }

    /// Lease IDs are looked up, never computed with; 0 asks the store to choose.
    @Test(arguments: edges)
    func leaseIDs(id: Int64) throws {
        let store = try Self.seeded()
        #expect(store.leaseTimeToLive(id).ttl == -1)
        if id != 0 {
            #expect(throws: StoreError.leaseNotFound(id: id)) { try store.keepAliveLease(id) }
            #expect(throws: StoreError.leaseNotFound(id: id)) { try store.revokeLease(id) }
            #expect(throws: StoreError.leaseNotFound(id: id)) { try store.put(PutRequest(key: b("k"), value: b("v"), lease: id)) }
        }
        let granted = try store.grantLease(ttl: 60, id: id)
        #expect(id == 0 ? granted.id > 0 : granted.id == id)
        #expect(throws: StoreError.leaseExists(id: granted.id)) { try store.grantLease(ttl: 60, id: granted.id) }
        _ = try store.put(PutRequest(key: b("k"), value: b("v"), lease: granted.id))
        #expect(store.leaseTimeToLive(granted.id, keys: true).keys == [b("k")])
        _ = try store.revokeLease(granted.id)
        #expect(try store.get("k") == nil)
    }

    @Test(arguments: edges)
    func txnCompares(operand: Int64) throws {
        let store = try Self.seeded()
        let targets: [(Compare.Target, Int64)] = [(.version(operand), 1), (.createRevision(operand), 2),
                                                  (.modRevision(operand), 2), (.lease(operand), 0)]
        for (target, actual) in targets {
            for result in [Compare.Result.equal, .notEqual, .less, .greater] {
                let txn = TxnRequest(compare: [Compare(key: b("a"), result: result, target: target)])
                let holds: Bool
                switch result {
                case .equal: holds = actual == operand
                case .notEqual: holds = actual != operand
                case .less: holds = actual < operand
                case .greater: holds = actual > operand
                }
                #expect(try store.txn(txn).succeeded == holds, "\(target) \(result)")
            }
        }
    }
}
