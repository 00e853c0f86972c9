#if canImport(Glibc)
import Glibc
#endif
import KVPosix
import KVClient
import KVProtocol
import KVStore

/// `check perf` and `check datascale`: etcdctl's load checks, with its workloads, pass criteria and
/// report lines. Writes go under a prefix that must be empty, and are deleted afterwards.
enum CheckCommands {
    struct PerfLoad { var limit: Int; var clients: Int; var duration: Int }
    static let perfLoads: [String: PerfLoad] = [
        "s": PerfLoad(limit: 150, clients: 50, duration: 60), "m": PerfLoad(limit: 1000, clients: 200, duration: 60),
        "l": PerfLoad(limit: 8000, clients: 500, duration: 60), "xl": PerfLoad(limit: 15000, clients: 1000, duration: 60),
    ]
    struct ScaleLoad { var limit: Int; var kvSize: Int; var clients: Int }
    static let scaleLoads: [String: ScaleLoad] = [
        "s": ScaleLoad(limit: 10000, kvSize: 1024, clients: 50), "m": ScaleLoad(limit: 100000, kvSize: 1024, clients: 200),
        "l": ScaleLoad(limit: 1000000, kvSize: 1024, clients: 500), "xl": ScaleLoad(limit: 3000000, kvSize: 1024, clients: 1000),
    ]

    static func make() -> Command {
        Command("check", short: "commands for checking properties of the etcd cluster", use: "<subcommand>").add(
            Command("datascale", short: "Check the memory usage of holding data for different workloads on a given server endpoint.",
                    use: "[options]", long: "If no endpoint is provided, localhost will be used. If multiple endpoints are provided, first endpoint will be used.",
                    flags: common("datascale") + [hiddenScale], action: datascale),
            Command("perf", short: "Check the performance of the etcd cluster", use: "[options]",
                    flags: common("perf") + [hiddenDuration], action: perf))
    }

    private static func common(_ what: String) -> [Flag] {
        [
            .bool("auto-compact", "Compact storage with last revision after test is finished."),
            .bool("auto-defrag", "Defragment storage after test is finished."),
            .string("load", "The \(what) check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)", default: "s"),
            .string("prefix", "The prefix for writing the \(what) check's keys.", default: "/etcdctl-check-\(what)/"),
        ]
    }
    /// Not etcdctl's: shorten a run (tests).
    static let hiddenDuration = Flag.int("duration", "override the workload's duration in seconds", hidden: true)
    static let hiddenScale = Flag.int("count", "override the workload's key count", hidden: true)

    /// Latencies (seconds) and error texts of a load run.
    struct Results { var latencies: [Double] = []; var errors: [String: Int] = [:] }

    /// Runs `clients` connections, each putting at its share of `rate` per second (0: as fast as it can)
    /// until `until` says stop. Keys: prefix + 256 bytes; values: `valueSize` bytes.
    static func load(_ inv: Invocation, prefix: String, clients: Int, rate: Int, valueSize: Int,
                     until: @escaping @Sendable (_ index: Int, _ elapsedNanoseconds: Int64) -> Bool) throws(CtlError) -> (Results, Int64) {
        var backends: [Backend] = []
        for _ in 0..<clients {
            do {
                backends.append(try inv.connector(inv.endpoints, inv.flags.duration("dial-timeout"),
                                                  inv.flags.duration("command-timeout"), inv.credentials, inv.security))
            } catch {
                for b in backends { b.close() }
                throw Invocation.failure(error)
            }
        }
        let results = PosixMutex(Results())
        let counter = PosixMutex(0)
        let start = monotonicNanoseconds()
        var threads: [PosixThread] = []
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: valueSize)
        for (i, backend) in backends.enumerated() {
            let box = UncheckedBox(backend)
            let interval: Int64 = rate > 0 ? Int64(clients) * 1_000_000_000 / Int64(rate) : 0
            let thread = try? PosixThread.spawn(name: "kvctl-check") {
                var local = Results()
                var random = SystemRandomNumberGenerator()
                var next = start + Int64(i) * (interval / Int64(max(1, clients)))
                while true {
                    let index = counter.withLock { n -> Int in n += 1; return n - 1 }
                    let now = monotonicNanoseconds()
                    if until(index, now - start) { break }
                    if interval > 0 {
                        if next > now { sleepNanoseconds(next - now) }
                        next += interval
                    }
                    let id = String(random.next() as UInt64, radix: 16)
                    let key = prefix + String(repeating: "0", count: 256 - id.count) + id
                    let sent = monotonicNanoseconds()
                    do {
                        _ = try box.value.put(PutRequest(key: Array(key.utf8), value: value))
                        local.latencies.append(Double(monotonicNanoseconds() - sent) / 1e9)
                    } catch {
                        local.errors[(error as? BackendError)?.message ?? "\(error)", default: 0] += 1
                    }
                }
                results.withLock { r in
                    r.latencies += local.latencies
                    r.errors.merge(local.errors, uniquingKeysWith: +)
                }
            }
            if let thread { threads.append(thread) }
        }
        for thread in threads { thread.join() }
        for b in backends { b.close() }
        return (results.withLock { $0 }, monotonicNanoseconds() - start)
    }

    /// etcdctl's refusal to run over existing keys, and its clean-up afterwards.
    static func requireEmpty(_ inv: Invocation, _ prefix: String) throws(CtlError) {
        var start = Array(prefix.utf8), end = [UInt8]()
        applyPrefix(&start, &end, prefix: true, fromKey: false)
        let count = try inv.call { b throws(BackendError) in try b.range(RangeRequest(key: start, rangeEnd: end, countOnly: true)) }.count
        if count > 0 {
            throw CtlError(ExitCode.invalidInput, "prefix \(GoText.quote(prefix)) has keys. Delete with etcdctl del --prefix \(prefix) first")
        }
    }

    static func cleanUp(_ inv: Invocation, _ prefix: String) throws(CtlError) {
        var start = Array(prefix.utf8), end = [UInt8]()
        applyPrefix(&start, &end, prefix: true, fromKey: false)
        let deleted = try inv.call { b throws(BackendError) in try b.deleteRange(DeleteRangeRequest(key: start, rangeEnd: end)) }
        if inv.flags.bool("auto-compact") {
            _ = try inv.call { b throws(BackendError) in try b.compact(CompactionRequest(revision: deleted.header.revision)) }
        }
        if inv.flags.bool("auto-defrag") {
            for endpoint in inv.endpoints {
                do {
                    let backend = try inv.backend(for: endpoint)
                    defer { backend.close() }
                    _ = try backend.defragment()
                    inv.console.line("Defragmented \(GoText.quote(endpoint))")
                } catch {
                    inv.console.errLine("Failed to defragment etcd member[\(endpoint)] (\(error.maintenanceMessage))")
                }
            }
        }
    }

    // MARK: perf

    static func perf(_ inv: Invocation) throws(CtlError) {
        guard var load = perfLoads[inv.flags.string("load")] else {
            throw CtlError(ExitCode.badFeature, "unknown load option \(inv.flags.string("load"))")
        }
        if inv.flags.int64("duration") > 0 { load.duration = Int(inv.flags.int64("duration")) }
        let prefix = inv.flags.string("prefix")
        if inv.console.isLive { Interrupt.install() }
        try requireEmpty(inv, prefix)
        let duration = Int64(load.duration) * 1_000_000_000
        let (results, elapsed) = try self.load(inv, prefix: prefix, clients: load.clients, rate: load.limit, valueSize: 1024,
                                               until: { _, elapsed in elapsed >= duration || Interrupt.isRequested })
        try cleanUp(inv, prefix)

        let latencies = results.latencies
        let rps = Double(latencies.count) / (Double(elapsed) / 1e9)
        let slowest = latencies.max() ?? 0
        let mean = latencies.isEmpty ? 0 : latencies.reduce(0, +) / Double(latencies.count)
        let variance = latencies.isEmpty ? 0 : latencies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(latencies.count)
        let stddev = variance.squareRoot()
        var ok = true
        if !results.errors.isEmpty {
            inv.console.line("FAIL: too many errors")
            for (error, count) in results.errors.sorted(by: { $0.key < $1.key }) { inv.console.line("FAIL: ERROR(\(error)) -> \(count)") }
            ok = false
        }
        if rps / Double(load.limit) <= 0.9 {
            inv.console.line("FAIL: Throughput too low: \(Int(rps) + 1) writes/s")
            ok = false
        } else {
            inv.console.line("PASS: Throughput is \(Int(rps) + 1) writes/s")
        }
        if slowest > 0.5 {
            inv.console.line("Slowest request took too long: \(goFloat(slowest))s")
            ok = false
        } else {
            inv.console.line("PASS: Slowest request took \(goFloat(slowest))s")
        }
        if stddev > 0.1 {
            inv.console.line("Stddev too high: \(goFloat(stddev))s")
            ok = false
        } else {
            inv.console.line("PASS: Stddev is \(goFloat(stddev))s")
        }
        inv.console.line(ok ? "PASS" : "FAIL")
        if !ok { throw CtlError(ExitCode.error, nil) }
    }

    /// Go's `%f`: six decimals.
    static func goFloat(_ value: Double) -> String {
        let micros = Int64((value * 1e6).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    // MARK: datascale

    static func datascale(_ inv: Invocation) throws(CtlError) {
        guard var load = scaleLoads[inv.flags.string("load")] else {
            throw CtlError(ExitCode.badFeature, "unknown load option \(inv.flags.string("load"))")
        }
        if inv.flags.int64("count") > 0 { load.limit = Int(inv.flags.int64("count")) }
        let prefix = inv.flags.string("prefix")
        let endpoint = inv.endpoints.first ?? "127.0.0.1:2379"
        if inv.console.isLive { Interrupt.install() }
        try requireEmpty(inv, prefix)
        let before = try residentMemory(endpoint, inv.security)
        inv.console.line("Start data scale check for work load [\(load.limit) key-value pairs, \(load.kvSize) bytes per key-value, \(load.clients) concurrent clients].")
        inv.console.flush()
        let limit = load.limit
        let (results, _) = try self.load(inv, prefix: prefix, clients: load.clients, rate: 0, valueSize: load.kvSize - 256,
                                         until: { index, _ in index >= limit || Interrupt.isRequested })
        let after = try residentMemory(endpoint, inv.security)
        try cleanUp(inv, prefix)
        if !results.errors.isEmpty {
            inv.console.line("FAIL: too many errors")
            for (error, count) in results.errors.sorted(by: { $0.key < $1.key }) { inv.console.line("FAIL: ERROR(\(error)) -> \(count)") }
            throw CtlError(ExitCode.error, nil)
        }
        let used = Double(max(0, after - before)) / (1024 * 1024)
        let hundredths = Int64((used * 100).rounded())
        let cents = String(hundredths % 100)
        inv.console.line("PASS: Approximate system memory used : \(hundredths / 100).\(cents.count == 1 ? "0" + cents : cents) MB.")
    }

    /// `process_resident_memory_bytes` from the endpoint's `/metrics` (the client port answers HTTP/1.1).
    static func residentMemory(_ endpoint: String, _ security: TransportSecurity) throws(CtlError) -> Int64 {
        let text: String
        do {
            text = try HTTPGet.body(endpoint: endpoint, path: "/metrics", tls: security.tls)
        } catch {
            throw .error("cannot read \(endpoint)/metrics: \(error)")
        }
        for line in text.split(separator: "\n") where line.hasPrefix("process_resident_memory_bytes ") {
            if let value = Double(line.dropFirst("process_resident_memory_bytes ".count)) { return Int64(value) }
        }
        throw .error("\(endpoint)/metrics has no process_resident_memory_bytes")
    }
}
