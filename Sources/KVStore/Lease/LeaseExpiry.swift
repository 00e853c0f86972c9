import KVSync

/// The store's opt-in built-in lease expiry: a task that calls `expireLeases()` at a fixed cadence.
///
/// The store never expires leases by itself: a server drives `expireLeases()` from its own loop, and an
/// app embedding the store either does the same or starts this. The cadence is real time (how often to
/// look), but what expires is decided by the store's injected `StoreClock`, so with a `ManualClock` a test
/// still says exactly when a lease's time is up:
///
///     let clock = ManualClock()
///     let store = Store(configuration: StoreConfiguration(clock: clock))
///     store.startLeaseExpiry(every: .milliseconds(10))
///     let lease = try store.grantLease(ttl: 5)
///     clock.advance(seconds: 6)                     // the next look, within 10 ms, revokes it
///     store.stopLeaseExpiry()
public final class LeaseExpiry: Sendable {
    private let task: Task<Void, Never>

    init(store: Store, interval: Duration) {
        task = Task.detached { [weak store] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let store, !Task.isCancelled else { return }
                store.expireLeases()
            }
        }
    }

    func stop() { task.cancel() }
}

extension Store {
    /// Starts revoking leases whose TTL has run out, looking every `interval` (the injected clock decides
    /// what is due). Starting it again replaces the running one. The task holds the store weakly: it ends
    /// with `stopLeaseExpiry()` or when the store is released.
    public func startLeaseExpiry(every interval: Duration = .milliseconds(100)) {
        let expiry = LeaseExpiry(store: self, interval: interval)
        leaseExpiry.withLock { current in
            current?.stop()
            current = expiry
        }
    }

    /// Stops the built-in expiry (no effect when it is not running). Leases then expire only when
    /// `expireLeases()` is called.
    public func stopLeaseExpiry() {
        leaseExpiry.withLock { current in
            current?.stop()
            current = nil
        }
    }

    /// Whether `startLeaseExpiry` is in effect.
    public var isExpiringLeases: Bool { leaseExpiry.withLock { $0 != nil } }
}
