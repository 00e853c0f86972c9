import Testing
@testable import KVStore
import TestSupport

/// Leases on a manual clock against a simple reference: grants, keep-alives, revokes, puts that attach
/// and detach keys, deletes, time passing and expiry. After every step the store's keys, their leases,
/// every lease's remaining TTL and attached keys, and the lease list equal the reference's.
@Suite struct LeaseModelTests {
    struct Lease { var granted: Int64; var deadline: UInt64 }

    @Test(arguments: [0x1ea5_0001, 0x1ea5_0002] as [UInt64])
    func leasesFollowTheReference(seed: UInt64) throws {
        print("LeaseModel seed: \(String(seed, radix: 16))")
        var generator = SeededGenerator(seed: seed)
        let clock = ManualClock()
        let store = Store(configuration: StoreConfiguration(clock: clock))
        var leases: [Int64: Lease] = [:]
        var keys: [[UInt8]: Int64] = [:]   // key → lease (0: none)
        let second: UInt64 = 1_000_000_000
        func key() -> [UInt8] { [UInt8.random(in: 97...102, using: &generator)] }
        func someLease() -> Int64 { Int64.random(in: 1...8, using: &generator) }

        for step in 0..<2000 {
            let now = clock.nowNanoseconds()
            switch Int.random(in: 0..<12, using: &generator) {
            case 0, 1:
                let id = someLease(), ttl = Int64.random(in: -1...6, using: &generator)
                do {
                    let granted = try store.grantLease(ttl: ttl, id: id)
                    #expect(leases[id] == nil)
                    let effective = max(ttl, LeaseLimits.minimumTTL)
                    #expect(granted.ttl == effective)
                    leases[id] = Lease(granted: effective, deadline: now + UInt64(effective) * second)
                } catch {
                    #expect(error == .leaseExists(id: id) && leases[id] != nil, "step \(step)")
                }
            case 2, 3:
                let k = key(), id = Bool.random(using: &generator) ? someLease() : 0
                do {
                    try store.put(PutRequest(key: k, value: Array("v".utf8), lease: id))
                    #expect(id == 0 || leases[id] != nil)
                    keys[k] = id
                } catch {
                    #expect(error == .leaseNotFound(id: id) && leases[id] == nil, "step \(step)")
                }
            case 4:
                let id = someLease()
                do {
                    let renewed = try store.keepAliveLease(id)
                    let lease = leases[id] ?? Lease(granted: -1, deadline: 0)
                    #expect(lease.deadline > now && renewed.ttl == lease.granted, "step \(step): renewed a lease the reference has not")
                    leases[id]?.deadline = now + UInt64(lease.granted) * second
                } catch {
                    #expect(error == .leaseNotFound(id: id) && (leases[id].map { $0.deadline <= now } ?? true), "step \(step)")
                }
            case 5:
                let id = someLease()
                do {
                    _ = try store.revokeLease(id)
                    #expect(leases.removeValue(forKey: id) != nil)
                    for (k, lease) in keys where lease == id { keys[k] = nil }
                } catch {
                    #expect(error == .leaseNotFound(id: id) && leases[id] == nil, "step \(step)")
                }
            case 6:
                let k = key()
                _ = try store.deleteRange(DeleteRangeRequest(key: k))
                keys[k] = nil
            case 7, 8:
                clock.advance(nanoseconds: UInt64.random(in: 0...(3 * second), using: &generator))
            default:
                let expired = store.expireLeases()
                let due = leases.filter { $0.value.deadline <= now }.map(\.key)
                #expect(expired == due.count, "step \(step)")
                for id in due {
                    leases[id] = nil
                    for (k, lease) in keys where lease == id { keys[k] = nil }
                }
            }
            // The whole state against the reference.
            let stored = try store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs
            #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0.key, $0.lease) }) == keys, "step \(step)")
            #expect(Set(store.leases().leases) == Set(leases.keys), "step \(step)")
            let at = clock.nowNanoseconds()
            for (id, lease) in leases {
                let live = store.leaseTimeToLive(id, keys: true)
                if lease.deadline > at {
                    #expect(live.ttl == Int64((lease.deadline - at) / second) && live.grantedTTL == lease.granted, "step \(step)")
                    #expect(live.keys == keys.filter { $0.value == id }.map(\.key).sorted { $0.lexicographicallyPrecedes($1) })
                } else {
                    #expect(live.ttl == -1, "step \(step): an expired lease reports -1 until it is reaped")
                }
            }
        }
    }
}
