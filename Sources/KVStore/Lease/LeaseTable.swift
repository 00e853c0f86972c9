/// The leases of a store and the keys attached to each.
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

    var count: Int { leases.count }

    func contains(_ id: Int64) -> Bool { leases[id] != nil }

    subscript(id: Int64) -> Lease? { leases[id] }

    mutating func insert(_ lease: Lease) { leases[lease.id] = lease }

    @discardableResult
    mutating func remove(_ id: Int64) -> Lease? { leases.removeValue(forKey: id) }

    mutating func setDeadline(_ deadline: UInt64, of id: Int64) { leases[id]?.deadline = deadline }

    mutating func attach(_ key: [UInt8], to id: Int64) {
        guard id != 0 else { return }
        leases[id]?.keys.insert(key)
    }

    mutating func detach(_ key: [UInt8], from id: Int64) {
        guard id != 0 else { return }
        leases[id]?.keys.remove(key)
    }
}
