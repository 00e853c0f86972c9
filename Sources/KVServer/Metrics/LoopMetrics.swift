import KVPosix
import KVProtocol

/// One event loop's counters: connections and requests per front end, request latency histograms,
/// output-buffer pauses, protocol sniffing timeouts, HTTP responses by status and health checks.
///
/// Written only on the owning loop's thread, with no lock (a `CounterBlock`); `MetricsRegistry` sums
/// every loop's counters when `/metrics` is scraped. Counting a line-protocol request costs two reads
/// of the CPU's tick counter (`TickClock`) and three uncontended counter increments.
final class LoopMetrics: Sendable {
    let counters: CounterBlock

    /// Where each counter lives in the block. The sizes are written out as literals so that every
    /// offset on the request path is a compile-time constant (no lazy global to check per request);
    /// `MetricsTests` checks them against `allCases` and `LatencyBuckets`.
    enum Layout {
        static let commands = 40
        static let routes = 5
        static let frontEnds = 4
        static let statuses = 21
        /// Per histogram series: one counter per bucket bound, one for +Inf, one for the sum of ticks.
        static let perSeries = 20
        /// Histogram series come first: one per line-protocol command, then one per HTTP route for
        /// HTTP/1.1, then one per route for HTTP/2 (requests that are not gRPC).
        static let lineSeries = 0
        static let httpSeries = commands
        static let seriesCount = commands + 2 * routes
        static let opened = seriesCount * perSeries
        static let closed = opened + frontEnds
        static let requests = closed + frontEnds
        static let outputPauses = requests + frontEnds
        static let sniffTimeouts = outputPauses + frontEnds
        static let healthSuccesses = sniffTimeouts + 1
        static let healthFailures = healthSuccesses + 1
        static let httpStatuses = healthFailures + 1
        static let count = httpStatuses + statuses

        @inline(__always) static func series(_ command: CommandKind) -> Int { lineSeries + command.ordinal }
        static func series(_ route: HTTPRoute, _ frontEnd: FrontEnd) -> Int {
            httpSeries + (frontEnd == .http2 ? routes : 0) + route.rawValue
        }
        @inline(__always) static func histogram(_ series: Int) -> Int { series * perSeries }
    }

    init() {
        counters = CounterBlock(count: Layout.count)
        _ = LatencyBuckets.tickBounds  // calibrates the tick clock now, not on the first request
    }

    // MARK: Connections

    func opened(_ frontEnd: FrontEnd) { counters.add(Layout.opened + frontEnd.rawValue) }

    func closed(_ frontEnd: FrontEnd) { counters.add(Layout.closed + frontEnd.rawValue) }

    /// A connection stopped reading because its unsent output reached the limit.
    func outputPaused(_ frontEnd: FrontEnd) { counters.add(Layout.outputPauses + frontEnd.rawValue) }

    /// A connection's first line was not classified in time and went to the line protocol.
    func sniffTimedOut() { counters.add(Layout.sniffTimeouts) }

    // MARK: Requests

    /// Counts a request of `frontEnd` and returns its start time (in ticks), for `finished`.
    @inline(__always)
    func started(_ frontEnd: FrontEnd) -> UInt64 {
        counters.add(Layout.requests + frontEnd.rawValue)
        return TickClock.now()
    }

    /// Records a line-protocol request's latency: the time to run it against the store and encode its
    /// reply (or start streaming it).
    @inline(__always)
    func finished(_ command: CommandKind, startedAt start: UInt64) {
        observe(series: Layout.series(command), ticks: TickClock.now() &- start)
    }

    /// Records an HTTP request's latency (`frontEnd`: `.http1`, or `.http2` for one that is not gRPC),
    /// from its parsed request to its response (ready to encode).
    func finished(_ route: HTTPRoute, frontEnd: FrontEnd, startedAt start: UInt64) {
        observe(series: Layout.series(route, frontEnd), ticks: TickClock.now() &- start)
    }

    @inline(__always)
    private func observe(series: Int, ticks: UInt64) {
        // Two reads on different cores may see ticks a little apart; never record a wrapped negative.
        let ticks = ticks > UInt64(Int64.max) ? 0 : ticks
        let base = Layout.histogram(series)
        counters.add(base + LatencyBuckets.bucket(ofTicks: ticks))
        counters.add(base + Layout.perSeries - 1, ticks)
    }

    func responded(_ status: HTTPStatus) { counters.add(Layout.httpStatuses + status.ordinal) }

    func healthChecked(healthy: Bool) { counters.add(healthy ? Layout.healthSuccesses : Layout.healthFailures) }
}
