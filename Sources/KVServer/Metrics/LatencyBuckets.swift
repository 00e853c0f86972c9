/// The upper bounds of the request latency histograms (`kvserver_request_duration_seconds`): 5 µs to
/// 2.5 s, then +Inf. Requests served from memory take microseconds, so the small end is fine-grained;
/// Prometheus's default buckets (5 ms and up) would put every request in the first one.
enum LatencyBuckets {
    /// Upper bounds in nanoseconds, ascending.
    static let bounds: [UInt64] = [
        5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000,
        500_000_000, 1_000_000_000, 2_500_000_000,
    ]

    /// The bounds in `TickClock` ticks, as requests are timed.
    static let tickBounds: [UInt64] = bounds.map(TickClock.ticks(nanoseconds:))

    /// Counters per histogram series: one per bound, one for +Inf, one for the sum of ticks.
    static let countersPerSeries = bounds.count + 2

    /// The bucket a duration in ticks falls in: the first bound at or above it, `bounds.count` for +Inf.
    /// - Complexity: O(b) for the b-th bucket; requests of a few microseconds stop at the first compare.
    @inline(__always)
    static func bucket(ofTicks ticks: UInt64) -> Int {
        tickBounds.withUnsafeBufferPointer { bounds in
            var index = 0
            while index < bounds.count && ticks > bounds[index] { index += 1 }
            return index
        }
    }

    /// A bound as Prometheus's `le` label: seconds, shortest decimal form (`5e-06`, `0.001`, `2.5`).
    static func label(_ nanoseconds: UInt64) -> String {
        "\(Double(nanoseconds) / 1e9)"
    }
}
