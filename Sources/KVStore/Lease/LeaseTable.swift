/// The leases of a store: each one's granted TTL, deadline and attached keys, with deadlines in an
/// indexed min-heap so the due leases are found without scanning.
///
/// `footprint` counts what the leases cost in memory, for the store's size and so for the quota: a
/// fixed `bytesPerLease` for each lease (its entries in the table and the expiry heap, measured), plus
/// `bytesPerAttachedKey` and the key's length for each key attached to one.
struct LeaseTable {
    /// What one lease costs, keys aside: measured as the resident memory 200,000 leases granted on an
    /// empty release-build server add, divided by their number (rounded up).
    static let bytesPerLease = 256
    /// What attaching a key costs besides the key's bytes (its copy in the lease's key set).
    static let bytesPerAttachedKey = 48

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

    /// Bytes the leases hold (see above).
    private(set) var footprint = 0

    var count: Int { leases.count }

    func contains(_ id: Int64) -> Bool { leases[id] != nil }

    subscript(id: Int64) -> Lease? { leases[id] }

    /// Adds a lease (replacing one with the same id).
    mutating func insert(_ lease: Lease) {
        if let replaced = leases.updateValue(lease, forKey: lease.id) { footprint -= LeaseTable.cost(of: replaced) }
        footprint += LeaseTable.cost(of: lease)
        _ = expiry.update(lease.id, deadline: lease.deadline)
    }

    @discardableResult
    mutating func remove(_ id: Int64) -> Lease? {
        _ = expiry.remove(id)
        guard let removed = leases.removeValue(forKey: id) else { return nil }
        footprint -= LeaseTable.cost(of: removed)
        return removed
    }

    static func cost(of lease: Lease) -> Int {
        lease.keys.reduce(bytesPerLease) { $0 + bytesPerAttachedKey + $1.count }
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
        guard id != 0, leases[id]?.keys.insert(key).inserted == true else { return }
        footprint += LeaseTable.bytesPerAttachedKey + key.count
    }

    mutating func detach(_ key: [UInt8], from id: Int64) {
        guard id != 0, leases[id]?.keys.remove(key) != nil else { return }
        footprint -= LeaseTable.bytesPerAttachedKey + key.count
    }
}
