import KVSync

/// Every event loop's `LoopMetrics`, so a scrape on any loop can sum them. Loops register once, when
/// their context is made; the lock is taken then and once per scrape, never per request.
final class MetricsRegistry: Sendable {
    private let loops = Locked<[LoopMetrics]>([])

    func register(_ metrics: LoopMetrics) {
        loops.withLock { $0.append(metrics) }
    }

    /// Every loop's counters summed, index by index (see `LoopMetrics.Layout`).
    func totals() -> [UInt64] {
        let all = loops.withLock { $0 }
        var totals = [UInt64](repeating: 0, count: LoopMetrics.Layout.count)
        for metrics in all {
            let counters = metrics.counters.snapshot()
            for index in totals.indices { totals[index] &+= counters[index] }
        }
        return totals
    }
}
