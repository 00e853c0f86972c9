/// The outcome of one measured phase.
public struct RunResult {
    /// Prefix of the machine-readable figures, e.g. `put`.
    public var name: String
    public var histogram: Histogram
    /// Wall time from the first request to the last reply.
    public var seconds: Double
    public var errors: Int
    /// CPU (user + system) this process spent during the phase.
    public var cpuSeconds: Double
    public var precise = false

    public init(name: String, histogram: Histogram, seconds: Double, errors: Int, cpuSeconds: Double, precise: Bool = false) {
        self.name = name
        self.histogram = histogram
        self.seconds = seconds
        self.errors = errors
        self.cpuSeconds = cpuSeconds
        self.precise = precise
    }

    public var requests: Int { Int(histogram.count) }
    public var requestsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    public var cpuMicrosecondsPerOp: Double { requests > 0 ? cpuSeconds * 1e6 / Double(requests) : 0 }
}

/// Text output: etcd benchmark's summary layout, then `name: value unit` figures for scripts.
public enum Summary {
    public static let percentiles: [Double] = [10, 25, 50, 75, 90, 95, 99, 99.9]

    /// `value` with exactly `decimals` digits after the point (no Foundation formatting here).
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let units = UInt64(scaled)
        let factor = UInt64(scale)
        let whole = units / factor
        var text = (value < 0 && units > 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            var fraction = String(units % factor)
            while fraction.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return text
    }

    static func percentLabel(_ p: Double) -> String {
        p == p.rounded() ? String(Int(p)) : fixed(p, 1)
    }

    /// The human-readable summary.
    public static func render(_ r: RunResult) -> String {
        let h = r.histogram
        let d = r.precise ? 6 : 4
        func secs(_ ns: Double) -> String { fixed(ns / 1e9, d) }
        var out = "\nSummary:\n"
        out += "  Total:\t\(fixed(r.seconds, 4)) secs.\n"
        out += "  Slowest:\t\(secs(Double(h.count > 0 ? h.maximum : 0))) secs.\n"
        out += "  Fastest:\t\(secs(Double(h.count > 0 ? h.minimum : 0))) secs.\n"
        out += "  Average:\t\(secs(h.mean)) secs.\n"
        out += "  Stddev:\t\(secs(h.standardDeviation)) secs.\n"
        out += "  Requests/sec:\t\(fixed(r.requestsPerSecond, 4))\n"
        if h.count > 0 {
            out += "\nResponse time histogram:\n"
            let marks = coarseMarks(h)
            let counts = h.distribute(over: marks)
            let biggest = max(counts.max() ?? 1, 1)
            for (mark, n) in zip(marks, counts) {
                let bar = String(repeating: "∎", count: Int(n * 40 / biggest))
                out += "  \(secs(Double(mark))) [\(n)]\t|\(bar)\n"
            }
            out += "\nLatency distribution:\n"
            for p in percentiles {
                out += "  \(percentLabel(p))% in \(secs(Double(h.percentile(p)))) secs.\n"
            }
        }
        if r.errors > 0 {
            out += "\nErrors: \(r.errors) of \(r.requests) replies were ERR\n"
        }
        out += "\nClient CPU: \(fixed(r.cpuSeconds, 3)) s (\(fixed(r.cpuMicrosecondsPerOp, 2)) µs/op)\n"
        return out
    }

    /// Eleven marks from the fastest to the slowest, evenly spaced (etcd's layout).
    static func coarseMarks(_ h: Histogram) -> [UInt64] {
        let low = h.minimum, high = h.maximum
        let step = Double(high - low) / 10
        return (0...10).map { i in i == 10 ? high : low + UInt64(step * Double(i)) }
    }

    /// The machine-readable figures, one `name.figure: value unit` per line.
    public static func figures(_ r: RunResult) -> [String] {
        let h = r.histogram
        func ms(_ ns: UInt64) -> String { fixed(Double(ns) / 1e6, 3) }
        return [
            "\(r.name).requests: \(r.requests) requests",
            "\(r.name).errors: \(r.errors) requests",
            "\(r.name).seconds: \(fixed(r.seconds, 3)) s",
            "\(r.name).requests_per_sec: \(fixed(r.requestsPerSecond, 0)) ops/s",
            "\(r.name).avg_ms: \(fixed(h.mean / 1e6, 3)) ms",
            "\(r.name).p50_ms: \(ms(h.percentile(50))) ms",
            "\(r.name).p90_ms: \(ms(h.percentile(90))) ms",
            "\(r.name).p99_ms: \(ms(h.percentile(99))) ms",
            "\(r.name).p999_ms: \(ms(h.percentile(99.9))) ms",
            "\(r.name).max_ms: \(ms(h.count > 0 ? h.maximum : 0)) ms",
            "\(r.name).client_cpu_s: \(fixed(r.cpuSeconds, 3)) s",
            "\(r.name).client_cpu_us_per_op: \(fixed(r.cpuMicrosecondsPerOp, 2)) us",
        ]
    }
}
