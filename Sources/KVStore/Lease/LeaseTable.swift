/// The leases of a store: each one's granted TTL, deadline and attached keys, with deadlines in an
/// indexed min-heap so the due leases are found without scanning.
struct LeaseTable {
    struct Lease {
        let id: Int64
        /// The TTL granted, in seconds.
        var grantedTTL: Int64
        /// Monotonic nanoseconds at which the lease expires.
        var deadline: UInt64
        var keys: Set<[UInt8]> = []
    }

    private(set) var leases: [Int64: Lease] = [:]
    private(set) var expiry = ExpiryQueue<Int64>()

    var count: Int { leases.count }

    func contains(_ id: Int64) -> Bool { leases[id] != nil }

    subscript(id: Int64) -> Lease? { leases[id] }

    mutating func insert(_ lease: Lease) {
        leases[lease.id] = lease
        _ = expiry.update(lease.id, deadline: lease.deadline)
    }

    @discardableResult
    mutating func remove(_ id: Int64) -> Lease? {
        _ = expiry.remove(id)
        return leases.removeValue(forKey: id)
    }

    mutating func setDeadline(_ deadline: UInt64, of id: Int64) {
        guard leases[id] != nil else { return }
        leases[id]!.deadline = deadline
        _ = expiry.update(id, deadline: deadline)
    }

    /// The earliest deadline, if any lease exists.
    var nextDeadline: UInt64? { expiry.peek()?.deadline }

    /// Takes up to `limit` leases whose deadline has passed out of the expiry order, earliest first;
    /// the caller revokes them.
    mutating func popDue(now: UInt64, limit: Int) -> [Int64] {
        expiry.popExpired(now: now, limit: limit)
    }

    /// Lease IDs, soonest expiry first.
    var idsByExpiry: [Int64] { expiry.sortedEntries().map(\.id) }

    mutating func attach(_ key: [UInt8], to id: Int64) {
        guard id != 0 else { return }
        leases[id]?.keys.insert(key)
    }

    mutating func detach(_ key: [UInt8], from id: Int64) {
        guard id != 0 else { return }
        leases[id]?.keys.remove(key)
    }
}
