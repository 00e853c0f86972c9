import Synchronization

/// The store's only source of time: a monotonic clock, injected so that lease expiry is deterministic in
/// tests. The store never reads the wall clock.
public protocol StoreClock: Sendable {
    /// Nanoseconds since an arbitrary fixed origin; never decreases.
    func nowNanoseconds() -> UInt64
}

/// The process's monotonic clock.
public struct SystemClock: StoreClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func nowNanoseconds() -> UInt64 {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}

/// A clock that only moves when told to; for tests and simulations.
public final class ManualClock: StoreClock {
    private let nanos: Atomic<UInt64>

    public init(nanoseconds: UInt64 = 0) {
        nanos = Atomic(nanoseconds)
    }

    public func nowNanoseconds() -> UInt64 { nanos.load(ordering: .acquiring) }

    /// Moves the clock forward.
    public func advance(nanoseconds: UInt64) { nanos.add(nanoseconds, ordering: .acquiringAndReleasing) }

    /// Moves the clock forward by whole seconds.
    public func advance(seconds: Int64) { advance(nanoseconds: UInt64(seconds) * 1_000_000_000) }
}
