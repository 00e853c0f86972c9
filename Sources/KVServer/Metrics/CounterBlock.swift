import Synchronization

/// A fixed array of counters that one thread writes and any thread reads: the per-event-loop counters
/// behind `/metrics`.
///
/// Each counter has a single writer, so an increment is a relaxed atomic load followed by a relaxed
/// atomic store — on x86-64 and arm64 a plain load, add and store: no lock prefix, no fence, no shared
/// cache line between loops. A reader on another thread (a scrape) sees whole values, possibly a few
/// increments behind, and never races. Counters wrap at 2^64 instead of trapping.
final class CounterBlock: @unchecked Sendable {
    // @unchecked Sendable: the storage is only reached through `Atomic` operations; `base` and `count`
    // never change.
    private let base: UnsafeMutablePointer<Atomic<UInt64>>
    let count: Int

    init(count: Int) {
        precondition(count >= 0, "a negative counter count")
        self.count = count
        base = .allocate(capacity: max(count, 1))
        for index in 0..<count { (base + index).initialize(to: Atomic(0)) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Adds `amount` to counter `index`. Only the block's owning thread may call this.
    @inline(__always)
    func add(_ index: Int, _ amount: UInt64 = 1) {
        assert(index >= 0 && index < count, "counter index out of range")
        let counter = base + index
        counter.pointee.store(counter.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Counter `index` as last written. Any thread.
    func load(_ index: Int) -> UInt64 {
        precondition(index >= 0 && index < count, "counter index out of range")
        return base[index].load(ordering: .relaxed)
    }

    /// Every counter, in index order. Any thread; counters written meanwhile may be a few increments
    /// apart from each other.
    func snapshot() -> [UInt64] {
        (0..<count).map { base[$0].load(ordering: .relaxed) }
    }
}
