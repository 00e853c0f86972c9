import KVPosix

/// How a fuzz run is shaped. Every loop is bounded by `cases`, every wait by a timeout.
public struct FuzzConfiguration: Sendable {
    public var seed: UInt64
    /// Cases to send in all.
    public var cases: Int
    /// Fuzz connections; cases are dealt to them round-robin.
    public var connections = 4
    /// Cases per batch: after each batch the healthy client is probed and every connection synced.
    public var batchSize = 64
    /// A connection is replaced by a fresh one after this many cases (dropping its watches and snapshot).
    public var casesPerConnection = 512
    /// Bound on sending a case, and on a connection catching up with what it was sent.
    public var syncTimeout = 30.0
    /// Housekeeping (see ``FuzzTransport/housekeep()``) every this many batches; 0 = never.
    public var housekeepingEvery = 100
    /// How many of the last cases a failure reports (a batch's worth: the culprit is in the last batch).
    public var remembered = 64

    public init(seed: UInt64, cases: Int) {
        self.seed = seed
        self.cases = cases
    }
}

/// A running count, passed to the progress callback after a batch.
public struct FuzzProgress: Sendable {
    public var casesSent: Int
    public var seconds: Double
    public var health: Histogram
}

/// Sends a ``FuzzCaseSource``'s cases over a ``FuzzTransport``'s connections and checks after every batch
/// that the server still answers a healthy client. Front-end agnostic: what bytes a case is belongs to
/// the source, how bytes travel and how health is probed to the transport.
///
/// Per batch: the batch's cases are written, dealt round-robin over the connections (a case that ends
/// in a disconnect is followed by a fresh connection); then, while the server works through them, the
/// healthy client's probe is timed; then every connection is synced. A refused or reset connection, an
/// answer that does not come within its bound, or an unhealthy answer ends the run with a
/// ``FuzzFailure`` naming the seed, the batch and the last cases sent.
public final class FuzzDriver<Source: FuzzCaseSource, Transport: FuzzTransport> {
    public let configuration: FuzzConfiguration
    public private(set) var source: Source
    public let transport: Transport
    /// Called before each case is sent (for `--trace`: the last case printed is the one that killed it).
    public var trace: ((Int, Int, FuzzCase) -> Void)?
    /// Called after each batch.
    public var progress: ((FuzzProgress) -> Void)?

    private var lanes: [Transport.Lane?] = []
    private var casesOnLane: [Int] = []
    private var recent: [SentCase] = []
    private var mutationCounts: [String: Int] = [:]

    public init(_ configuration: FuzzConfiguration, source: Source, transport: Transport) {
        precondition(configuration.connections > 0 && configuration.batchSize > 0, "a fuzz run needs connections and batches")
        self.configuration = configuration
        self.source = source
        self.transport = transport
    }

    /// Runs every case (or up to the first failure) and reports.
    public func run() -> FuzzReport {
        let c = configuration
        var report = FuzzReport(seed: c.seed)
        let start = Posix.monotonicNanoseconds()
        var batch = 0
        var first = 0
        defer { transport.tearDown() }
        do throws(FuzzTransportError) {
            try transport.setUp()
            lanes = Array(repeating: nil, count: c.connections)
            casesOnLane = Array(repeating: 0, count: c.connections)
            while first < c.cases {
                let count = min(c.batchSize, c.cases - first)
                let deadline = Posix.monotonicNanoseconds() + UInt64(c.syncTimeout * 1e9)
                for index in first..<(first + count) {
                    let lane = index % c.connections
                    let fuzzCase = source.next()
                    remember(index, lane, fuzzCase)
                    trace?(index, lane, fuzzCase)
                    try send(fuzzCase, on: lane, deadline: deadline, report: &report)
                    report.casesSent += 1
                }
                for latency in try transport.probe() { report.health.record(latency) }
                let syncDeadline = Posix.monotonicNanoseconds() + UInt64(c.syncTimeout * 1e9)
                for lane in lanes { try lane?.sync(deadline: syncDeadline) }
                report.probes += 1
                report.batches += 1
                batch += 1
                first += count
                if c.housekeepingEvery > 0 && batch % c.housekeepingEvery == 0 && first < c.cases {
                    try transport.housekeep()
                }
                progress?(FuzzProgress(casesSent: report.casesSent, seconds: seconds(since: start), health: report.health))
            }
        } catch {
            report.failure = FuzzFailure(what: error.description + diagnosis(after: error), kind: error.kind, seed: c.seed,
                                         batch: batch, cases: first..<min(first + c.batchSize, c.cases), recent: recent)
        }
        for lane in lanes { lane?.close(reset: false) }
        lanes = []
        report.seconds = seconds(since: start)
        report.mutations = mutationCounts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        report.skipped = source.skipped
        return report
    }

    private func send(_ fuzzCase: FuzzCase, on index: Int, deadline: UInt64, report: inout FuzzReport) throws(FuzzTransportError) {
        if casesOnLane[index] >= configuration.casesPerConnection, let old = lanes[index] {
            // A graceful replacement: what the old connection was sent is answered first.
            try old.sync(deadline: deadline)
            old.close(reset: false)
            lanes[index] = nil
        }
        let lane: Transport.Lane
        if let open = lanes[index] {
            lane = open
        } else {
            lane = try transport.openLane(index)
            lanes[index] = lane
            casesOnLane[index] = 0
        }
        try lane.send(fuzzCase.bytes, deadline: deadline)
        casesOnLane[index] += 1
        if fuzzCase.ending != .keepOpen {
            lane.close(reset: fuzzCase.ending == .reset)
            lanes[index] = nil
            report.disconnects += 1
        }
    }

    /// After a failure, whether the server as a whole is gone: the healthy client tries again, twice.
    private func diagnosis(after error: FuzzTransportError) -> String {
        var last = ""
        for _ in 0..<2 {  // after a failed try the client reconnects: "refused" says the server is gone
            do {
                _ = try transport.probe()
                return "; the server still answers the healthy client"
            } catch {
                last = "; then \(error.description)"
            }
        }
        return last
    }

    private func remember(_ index: Int, _ lane: Int, _ fuzzCase: FuzzCase) {
        for mutation in fuzzCase.mutations { mutationCounts[mutation, default: 0] += 1 }
        if fuzzCase.mutations.isEmpty { mutationCounts["(valid)", default: 0] += 1 }
        guard configuration.remembered > 0 else { return }
        if recent.count == configuration.remembered { recent.removeFirst() }
        recent.append(SentCase(index: index, lane: lane, summary: fuzzCase.summary, preview: FuzzReport.preview(fuzzCase.bytes)))
    }

    private func seconds(since start: UInt64) -> Double { Double(Posix.monotonicNanoseconds() - start) / 1e9 }
}
