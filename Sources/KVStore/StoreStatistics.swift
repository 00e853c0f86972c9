/// What a store has done since it was created, and what it holds now, for monitoring (the server's
/// `/metrics`, with etcd's metric names).
///
/// The counters are plain integers kept under the store's lock by the operations that already hold it,
/// so counting costs those operations no extra synchronization; `Store.statistics` reads them all, and
/// the gauges, in one lock hold. Counters start at 0 for every `Store` (a store loaded from a snapshot
/// too) and wrap rather than trap.
public struct StoreStatistics: Hashable, Sendable {
    /// Range reads: `range`, `rangeCursor`, and each range operation of a transaction (etcd's
    /// `etcd_mvcc_range_total`).
    public var ranges: UInt64 = 0
    /// Keys written: each put, including the puts of transactions and the rewrites that attach keys to
    /// a new lease (`etcd_mvcc_put_total`).
    public var puts: UInt64 = 0
    /// Delete operations: each `deleteRange`, each delete of a transaction, and each key deleted by a
    /// lease's revocation or expiry (`etcd_mvcc_delete_total`).
    public var deletes: UInt64 = 0
    /// Transactions run, nested ones not counted apart (`etcd_mvcc_txn_total`).
    public var txns: UInt64 = 0
    /// Leases granted (`etcd_debugging_lease_granted_total`).
    public var leasesGranted: UInt64 = 0
    /// Leases revoked, by request or by expiry (`etcd_debugging_lease_revoked_total`).
    public var leasesRevoked: UInt64 = 0
    /// Successful keep-alives (`etcd_debugging_lease_renewed_total`).
    public var leasesRenewed: UInt64 = 0

    /// Keys that exist at the current revision (`etcd_debugging_mvcc_keys_total`); kept up to date by
    /// every write, so reading it is O(1), unlike `Store.keyCount`.
    public var keys: Int = 0
    /// The following gauges are filled in by `Store.statistics`.
    public var leases: Int = 0
    /// Watchers, and those of them still catching up from history (etcd's "slow" watchers).
    public var watchers: Int = 0
    public var slowWatchers: Int = 0
    /// `Store.sizeInBytes` (retained versions and leases).
    public var sizeInBytes: Int = 0
    public var revision: Int64 = 0
    public var compactedRevision: Int64 = 0

    public init() {}
}

/// The counters `StoreState` keeps (the first part of `StoreStatistics`), small because the state is
/// copied now and then.
struct StoreCounters: Hashable, Sendable {
    var ranges: UInt64 = 0
    var puts: UInt64 = 0
    var deletes: UInt64 = 0
    var txns: UInt64 = 0
    var leasesGranted: UInt64 = 0
    var leasesRevoked: UInt64 = 0
    var leasesRenewed: UInt64 = 0
    var keys: Int = 0
}

extension Store {
    /// The store's counters and gauges, read in one lock hold.
    /// - Complexity: O(w) for w distinct watched keys (to count the synced watchers).
    public var statistics: StoreStatistics {
        state.withLock { state in
            var statistics = StoreStatistics()
            let counters = state.counters
            statistics.ranges = counters.ranges
            statistics.puts = counters.puts
            statistics.deletes = counters.deletes
            statistics.txns = counters.txns
            statistics.leasesGranted = counters.leasesGranted
            statistics.leasesRevoked = counters.leasesRevoked
            statistics.leasesRenewed = counters.leasesRenewed
            statistics.keys = counters.keys
            statistics.leases = state.leases.count
            statistics.watchers = state.watchers.watchers.count
            statistics.slowWatchers = statistics.watchers - state.watchers.syncedCount
            statistics.sizeInBytes = state.size
            statistics.revision = state.currentRevision
            statistics.compactedRevision = state.compactedRevision
            return statistics
        }
    }
}
