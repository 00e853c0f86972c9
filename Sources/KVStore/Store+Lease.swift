/// Leases: a key attached to a lease is deleted when the lease is revoked or expires.
///
/// Time comes from the configuration's `StoreClock`. The store runs no timer of its own: whoever
/// hosts it calls `expireLeases()` periodically (the server does every 500 ms; `nextLeaseDeadline`
/// says when next it matters).
extension Store {
    /// Creates a lease. TTLs below 2 seconds become 2 seconds.
    /// - Parameters:
    ///   - id: the lease ID to use, or 0 to let the store pick a random unused positive one.
    /// - Throws: `.leaseTTLTooLarge` above 9,000,000,000 seconds; `.leaseExists` for an ID in use.
    public func grantLease(ttl: Int64, id: Int64 = 0) throws(StoreError) -> LeaseGrantResponse {
        try grantLease(ttl: ttl, id: id, attaching: [])
    }

    /// Creates a lease and attaches existing keys to it: each key is written again with its current
    /// value under the new lease, all in one revision.
    /// - Throws: as `grantLease(ttl:id:)`, plus `.keyNotFound` when a key does not exist (nothing is
    ///   granted then) and `.emptyKey`.
    public func grantLease(ttl: Int64, id: Int64 = 0, attaching keys: [[UInt8]]) throws(StoreError) -> LeaseGrantResponse {
        if ttl > LeaseLimits.maximumTTL { throw .leaseTTLTooLarge(ttl: ttl) }
        if keys.contains(where: \.isEmpty) { throw .emptyKey }
        let effectiveTTL = max(ttl, LeaseLimits.minimumTTL)
        let now = configuration.clock.nowNanoseconds()
        let quota = configuration.quotaBytes
        let cost = LeaseTable.bytesPerLease &+ keys.reduce(0) { $0 &+ LeaseTable.bytesPerAttachedKey &+ $1.count }
        let result: Result<LeaseGrantResponse, StoreError> = state.withLock { state in
            Result { () throws(StoreError) in
                try state.admit(cost: cost, quota: quota)
                let leaseID = try Self.chooseLeaseID(id, in: state.leases)
                for key in Set(keys) where state.view.record(key, at: state.currentRevision) == nil { throw .keyNotFound }
                state.leases.insert(.init(id: leaseID, grantedTTL: effectiveTTL, deadline: Self.deadline(now, effectiveTTL)))
                state.counters.leasesGranted &+= 1
                state.journalLeaseGrant(id: leaseID, ttl: effectiveTTL)
                if !keys.isEmpty {
                    var batch = WriteBatch(main: state.currentRevision + 1)
                    for key in Set(keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                        state.applyPut(PutRequest(key: key, value: [], lease: leaseID, ignoreValue: true), in: &batch)
                    }
                    self.commit(&state, batch)
                }
                return LeaseGrantResponse(header: self.header(state.currentRevision), id: leaseID, ttl: effectiveTTL)
            }
        }
        return try result.get()
    }

    /// Grants a lease of `ttl` seconds and writes the key under it, in one step (one revision).
    public func put(_ request: PutRequest, ttl: Int64) throws(StoreError) -> (lease: LeaseGrantResponse, put: PutResponse) {
        if request.lease != 0 || request.ignoreLease { throw .leaseProvided }
        try TxnChecks.checkPut(request)
        if ttl > LeaseLimits.maximumTTL { throw .leaseTTLTooLarge(ttl: ttl) }
        let effectiveTTL = max(ttl, LeaseLimits.minimumTTL)
        let now = configuration.clock.nowNanoseconds()
        let quota = configuration.quotaBytes
        let result: Result<(LeaseGrantResponse, PutResponse), StoreError> = state.withLock { state in
            Result { () throws(StoreError) in
                try state.admit(cost: LeaseTable.bytesPerLease &+ LeaseTable.bytesPerAttachedKey &+ request.key.count
                                    &+ KVRecord.footprint(keyCount: request.key.count, valueCount: request.value.count), quota: quota)
                let leaseID = try Self.chooseLeaseID(0, in: state.leases)
                var put = request
                put.lease = leaseID
                if put.ignoreValue, state.view.record(put.key, at: state.currentRevision) == nil { throw .keyNotFound }
                state.leases.insert(.init(id: leaseID, grantedTTL: effectiveTTL, deadline: Self.deadline(now, effectiveTTL)))
                state.counters.leasesGranted &+= 1
                state.journalLeaseGrant(id: leaseID, ttl: effectiveTTL)
                var batch = WriteBatch(main: state.currentRevision + 1)
                let previous = state.applyPut(put, in: &batch)
                self.commit(&state, batch)
                let header = self.header(state.currentRevision)
                return (LeaseGrantResponse(header: header, id: leaseID, ttl: effectiveTTL),
                        PutResponse(header: header, prevKV: request.prevKV ? previous?.keyValue() : nil))
            }
        }
        return try result.get()
    }

    /// Revokes a lease, deleting every attached key in one revision (in key order).
    /// - Throws: `.leaseNotFound`.
    public func revokeLease(_ id: Int64) throws(StoreError) -> LeaseRevokeResponse {
        let result: Result<LeaseRevokeResponse, StoreError> = state.withLock { state in
            guard state.leases.contains(id) else { return .failure(.leaseNotFound(id: id)) }
            self.revoke(id, in: &state)
            return .success(LeaseRevokeResponse(header: self.header(state.currentRevision)))
        }
        return try result.get()
    }

    /// Renews a lease to its granted TTL.
    /// - Throws: `.leaseNotFound` (also for a lease past its deadline not yet reaped).
    public func keepAliveLease(_ id: Int64) throws(StoreError) -> LeaseKeepAliveResponse {
        let now = configuration.clock.nowNanoseconds()
        let result: Result<LeaseKeepAliveResponse, StoreError> = state.withLock { state in
            guard let lease = state.leases[id], lease.deadline > now else { return .failure(.leaseNotFound(id: id)) }
            state.leases.setDeadline(Self.deadline(now, lease.grantedTTL), of: id)
            state.counters.leasesRenewed &+= 1
            return .success(LeaseKeepAliveResponse(header: self.header(state.currentRevision), id: id, ttl: lease.grantedTTL))
        }
        return try result.get()
    }

    /// A lease's remaining TTL (whole seconds, rounded down), granted TTL and, optionally, keys.
    public func leaseTimeToLive(_ id: Int64, keys: Bool = false) -> LeaseTimeToLiveResponse {
        let now = configuration.clock.nowNanoseconds()
        return state.withLock { state in
            let header = self.header(state.currentRevision)
            guard let lease = state.leases[id], lease.deadline > now else {
                return LeaseTimeToLiveResponse(header: header, id: id, ttl: -1, grantedTTL: 0)
            }
            let remaining = Int64((lease.deadline - now) / 1_000_000_000)
            let attached = keys ? lease.keys.sorted { $0.lexicographicallyPrecedes($1) } : []
            return LeaseTimeToLiveResponse(header: header, id: id, ttl: remaining, grantedTTL: lease.grantedTTL, keys: attached)
        }
    }

    /// Every live lease, soonest expiry first.
    public func leases() -> LeaseLeasesResponse {
        state.withLock { state in
            LeaseLeasesResponse(header: self.header(state.currentRevision), leases: state.leases.idsByExpiry)
        }
    }

    /// The monotonic time (nanoseconds, the configured clock's) of the earliest lease deadline.
    public var nextLeaseDeadline: UInt64? { state.withLock { $0.leases.nextDeadline } }

    /// Revokes every lease whose deadline has passed, exactly as `revokeLease` would, taking the lock
    /// for at most `slice` leases at a time so writers are never held off for a whole burst.
    /// - Returns: how many leases expired.
    @discardableResult
    public func expireLeases(slice: Int = 500) -> Int {
        let now = configuration.clock.nowNanoseconds()
        var expired = 0
        while true {
            let count = state.withLock { state in
                let due = state.leases.popDue(now: now, limit: slice)
                for id in due { self.revoke(id, in: &state) }
                return due.count
            }
            expired += count
            if count < slice { return expired }
        }
    }

    /// Deletes the lease's keys (one revision when there are any) and removes it.
    func revoke(_ id: Int64, in state: inout StoreState) {
        guard let lease = state.leases.remove(id) else { return }
        state.counters.leasesRevoked &+= 1
        defer { state.journalLeaseRemoval(id: id) }
        guard !lease.keys.isEmpty else { return }
        var batch = WriteBatch(main: state.currentRevision + 1)
        for key in lease.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            _ = state.applyDelete(.single(key), in: &batch)
        }
        commit(&state, batch)
    }

    static func leaseDeadline(_ now: UInt64, _ ttl: Int64) -> UInt64 { deadline(now, ttl) }

    private static func deadline(_ now: UInt64, _ ttl: Int64) -> UInt64 {
        let (product, overflow) = UInt64(ttl).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflow2) = now.addingReportingOverflow(product)
        return overflow || overflow2 ? UInt64.max : sum
    }

    private static func chooseLeaseID(_ requested: Int64, in leases: LeaseTable) throws(StoreError) -> Int64 {
        if requested != 0 {
            if leases.contains(requested) { throw .leaseExists(id: requested) }
            return requested
        }
        var generator = SystemRandomNumberGenerator()
        while true {
            let candidate = Int64.random(in: 1...Int64.max, using: &generator)
            if !leases.contains(candidate) { return candidate }
        }
    }
}
