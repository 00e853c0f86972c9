import Glibc
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// The pieces behind `/metrics`: the counter block, latency buckets, the exposition format, `/proc`
/// parsing, and a rendered page checked line by line against the text format.
@Suite struct MetricsTests {
    @Test func counterBlockHasOneWriterAndAnyReader() throws {
        let block = CounterBlock(count: 3)
        let total = 200_000
        let writer = try PosixThread.spawn(name: "metrics-test") {
            for _ in 0..<total { block.add(1) }
            block.add(2, 7)
        }
        var last: UInt64 = 0
        var reads = 0
        while block.load(2) == 0 && reads < 10_000_000 {
            let seen = block.load(1)
            #expect(seen >= last)
            last = seen
            reads += 1
        }
        writer.join()
        #expect(block.snapshot() == [0, UInt64(total), 7])
    }

    /// Durations in nanoseconds and their bucket.
    static let bucketCases: [(UInt64, Int)] = [
        (0, 0), (4_000, 0), (6_000, 1), (9_000, 1), (999_000, 7), (1_200_000, 8), (2_400_000_000, 17),
        (2_600_000_000, 18), (UInt64.max / 2, 18),
    ]

    @Test func latencyBuckets() {
        for (nanoseconds, bucket) in Self.bucketCases {
            // In ticks a bound itself may round either way, so the cases stay clear of the bounds.
            let ticks = TickClock.ticks(nanoseconds: nanoseconds)
            #expect(LatencyBuckets.bucket(ofTicks: ticks) == bucket, "\(nanoseconds) ns")
        }
        #expect(LatencyBuckets.bounds == LatencyBuckets.bounds.sorted())
        #expect(LatencyBuckets.label(5_000) == "5e-06" && LatencyBuckets.label(1_000_000) == "0.001"
            && LatencyBuckets.label(2_500_000_000) == "2.5")
    }

    @Test func tickClockAgreesWithTheMonotonicClock() {
        let ticks = TickClock.now()
        let nanos = Posix.monotonicNanoseconds()
        sleep(milliseconds: 50)
        let elapsed = Double(Posix.monotonicNanoseconds() - nanos)
        let measured = TickClock.nanoseconds(ticks: TickClock.now() - ticks)
        #expect(abs(measured - elapsed) < elapsed * 0.05, "ticks say \(measured) ns, the clock \(elapsed) ns")
    }

    @Test func commandOrdinalsFollowAllCases() {
        #expect(CommandKind.allCases.map(\.ordinal) == Array(0..<CommandKind.allCases.count))
    }

    @Test func layoutSizesMatchTheirTypes() {
        typealias Layout = LoopMetrics.Layout
        #expect(Layout.commands == CommandKind.allCases.count && Layout.routes == HTTPRoute.allCases.count)
        #expect(Layout.frontEnds == FrontEnd.allCases.count && Layout.statuses == HTTPStatus.allCases.count)
        #expect(Layout.perSeries == LatencyBuckets.countersPerSeries)
        #expect(Layout.histogram(Layout.seriesCount) == Layout.opened && Layout.count == LoopMetrics().counters.count)
    }

    @Test func prometheusText() {
        var text = PrometheusText()
        text.family("a_total", .counter, help: "Help with \\ and\nnewline.")
        text.sample("a_total", ["k": "quote \" back \\ nl \n"], UInt64(3))
        text.single("b", .gauge, help: "B.", 1.5)
        text.single("c", .gauge, help: "C.", -2)
        text.histogram("h", [("command", "PUT")], bounds: [5_000, 10_000], buckets: [1, 0, 2], sumNanoseconds: 1.5e9)
        #expect(String(decoding: text.bytes, as: UTF8.self) == """
            # HELP a_total Help with \\\\ and\\nnewline.
            # TYPE a_total counter
            a_total{k="quote \\" back \\\\ nl \\n"} 3
            # HELP b B.
            # TYPE b gauge
            b 1.5
            # HELP c C.
            # TYPE c gauge
            c -2
            h_bucket{command="PUT",le="5e-06"} 1
            h_bucket{command="PUT",le="1e-05"} 1
            h_bucket{command="PUT",le="+Inf"} 3
            h_sum{command="PUT"} 1.5
            h_count{command="PUT"} 3

            """)
    }

    @Test func procStatFields() throws {
        // The command name may hold spaces and parentheses; fields count from the last ")".
        let line = "4242 (kv (a) b) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 9 0 123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
        let fields = try #require(ProcessMetrics.statFields(line))
        #expect(fields == .init(utime: 250, stime: 75, starttime: 123456, vsize: 987654321, rssPages: 2048))
        #expect(ProcessMetrics.statFields("no parenthesis") == nil)
        #expect(ProcessMetrics.bootTime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        #expect(ProcessMetrics.bootTime("cpu 1\n") == nil)
    }

    @Test func processMetricsOfThisProcess() throws {
        let process = try #require(ProcessMetrics.current())
        #expect(process.residentBytes > 0 && process.virtualBytes >= process.residentBytes)
        #expect(process.openFDs >= 3 && process.maxFDs >= process.openFDs)
        let now = Double(time(nil))
        #expect(process.startTimeSeconds > now - 86_400 * 30 && process.startTimeSeconds <= now + 1)
        #expect(process.cpuSeconds >= 0)
    }

    /// A whole page from a server that served line and HTTP requests: valid text format, and the
    /// counters say what happened.
    @Test func pageCountsWhatHappened() throws {
        let server = try TestServer()
        let client = try server.client()
        for i in 0..<5 { _ = try client.call(.put(PutRequest(key: b("k\(i)"), value: b("v")))) }
        _ = try client.call(.range(RangeRequest(key: b("k0"))))
        _ = try client.call(.range(RangeRequest(key: b("k"), rangeEnd: b("l"))))
        _ = try client.call(.deleteRange(DeleteRangeRequest(key: b("k0"))))
        _ = try client.call(.txn(TxnRequest(success: [.put(PutRequest(key: b("t"), value: b("1")))])))
        let page = try PrometheusPage(String(decoding: MetricsPage.render(state: server.server.state), as: UTF8.self))
        #expect(page.value("etcd_mvcc_put_total") == 6)
        #expect(page.value("etcd_mvcc_range_total") == 2)
        #expect(page.value("etcd_mvcc_delete_total") == 1)
        #expect(page.value("etcd_mvcc_txn_total") == 1)
        #expect(page.value("etcd_debugging_mvcc_keys_total") == 5)
        #expect(page.value("etcd_server_has_leader") == 1 && page.value("etcd_server_is_leader") == 1)
        #expect(page.value("etcd_server_version", ["server_version": "3.5.0"]) == 1)
        #expect(page.value("etcd_mvcc_db_total_size_in_bytes") == Double(server.store.sizeInBytes))
        #expect(page.value("kvserver_client_connections_total", ["frontend": "line"]) == 1)
        #expect(page.value("kvserver_client_connections_open", ["frontend": "line"]) == 1)
        // The client's HELLO and the nine calls.
        #expect(page.value("kvserver_requests_total", ["frontend": "line"]) == 10)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "line", "command": "PUT"]) == 5)
        #expect(page.value("kvserver_request_duration_seconds_bucket", ["frontend": "line", "command": "PUT", "le": "+Inf"]) == 5)
        #expect(page.value("kvserver_request_duration_seconds_count", ["frontend": "line", "command": "LEASE-GRANT"]) == nil)
        #expect((page.value("process_resident_memory_bytes") ?? 0) > 0)
        server.stop()
    }
}

/// A parsed Prometheus text page; parsing checks the format: HELP then TYPE once per family, samples
/// only after their family's TYPE, label syntax, numeric values, cumulative histogram buckets ending in
/// +Inf whose count equals `_count`.
struct PrometheusPage {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]

    enum FormatError: Error, CustomStringConvertible {
        case line(String, String)
        var description: String {
            switch self { case .line(let line, let why): "\(why): \(line.debugDescription)" }
        }
    }

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw FormatError.line(String(text.suffix(40)), "page does not end in a newline") }
        var helped: Set<String> = []
        var family = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let line = String(line)
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                guard helped.insert(name).inserted else { throw FormatError.line(line, "HELP twice") }
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram"].contains(parts[3]), types[String(parts[2])] == nil,
                      helped.contains(String(parts[2])) else { throw FormatError.line(line, "bad TYPE") }
                family = String(parts[2])
                types[family] = String(parts[3])
                continue
            }
            let sample = try PrometheusPage.sample(line)
            let base = types[family] == "histogram"
                ? ["_bucket", "_sum", "_count"].reduce(sample.name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
                : sample.name
            guard base == family else { throw FormatError.line(line, "sample outside its family \(family)") }
            samples.append(sample)
        }
        try checkHistograms()
    }

    private static func sample(_ line: String) throws -> Sample {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) ?? (line.hasSuffix("+Inf") ? .infinity : nil) else {
            throw FormatError.line(line, "no value")
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            guard series.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else { throw FormatError.line(line, "bad name") }
            return Sample(name: String(series), labels: [:], value: value)
        }
        guard series.hasSuffix("}") else { throw FormatError.line(line, "unclosed labels") }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)..<series.index(before: series.endIndex)]
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)] == "\"" else { throw FormatError.line(line, "bad label") }
            let name = String(rest[..<equals])
            var index = rest.index(equals, offsetBy: 2)
            var value = ""
            while rest[index] != "\"" {
                if rest[index] == "\\" {
                    index = rest.index(after: index)
                    value.append(rest[index] == "n" ? "\n" : rest[index])
                } else {
                    value.append(rest[index])
                }
                index = rest.index(after: index)
            }
            labels[name] = value
            rest = rest[rest.index(after: index)...]
            if rest.hasPrefix(",") { rest = rest.dropFirst() }
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }

    private func checkHistograms() throws {
        for sample in samples where sample.name.hasSuffix("_count") {
            let base = String(sample.name.dropLast(6))
            guard types[base] == "histogram" else { continue }
            let buckets = samples.filter { $0.name == base + "_bucket" && $0.labels.filter { $0.key != "le" } == sample.labels }
            guard buckets.last?.labels["le"] == "+Inf", buckets.last?.value == sample.value,
                  zip(buckets, buckets.dropFirst()).allSatisfy({ $0.value <= $1.value }) else {
                throw FormatError.line(base, "histogram buckets not cumulative or not ending in +Inf = count")
            }
        }
    }

    /// The value of the sample with exactly these labels, or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
