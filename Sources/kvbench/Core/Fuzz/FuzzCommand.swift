import Glibc
import KVPosix

/// `kvbench fuzz`: a long protocol fuzz run against a running server.
public enum FuzzCommand {
    public static let usage = """
    usage: kvbench fuzz [flags]

      Sends seeded, mutated requests of every command over several connections and, after every batch,
      checks that a healthy client on its own connection is still answered (PING and a one-key GET).
      Prints cases, minutes and the healthy client's p50/p99/max latency; on a dead, hung or unhealthy
      server prints the seed, the batch and the last cases sent, and exits 1.

      --endpoints HOST:PORT   server (default 127.0.0.1:2379; the first of a comma list)
      --cases N               cases to send (default 100k; k and m suffixes accepted)
      --seed N                decimal or 0x-hex (default: from the clock; printed either way)
      --conns N               fuzz connections (default 4)
      --batch N               cases between health probes (default 64)
      --max-request-bytes N   the server's --max-request-bytes, to aim long lines at its limit (default 1572864)
      --max-txn-ops N         the server's --max-txn-ops (default 128)
      --auth                  auth mode: add root, enable auth, fuzz with logins, disable auth at the end
      --root-password PW      root's password in auth mode (default fuzz-root-pw)
      --send-known-crashes    also send cases that hit the known crashes (default: skip and count them)
      --trace                 print each case's summary to stderr before sending it
      --dry-run               only generate the cases (no server): checks the fuzzer itself, prints mutation counts
      --probe-timeout D       bound on each healthy answer (default 10s)
      --sync-timeout D        bound on a connection catching up with a batch (default 30s)
      --progress D            print a progress line this often (default 30s)
    """

    public struct Options: Equatable, Sendable {
        public var endpoint = "127.0.0.1:2379"
        public var cases = 100_000
        public var seed: UInt64
        public var connections = 4
        public var batch = 64
        public var limits = FuzzLimits()
        public var auth = false
        public var rootPassword = "fuzz-root-pw"
        public var sendKnownCrashes = false
        public var trace = false
        public var dryRun = false
        public var probeTimeout = 10.0
        public var syncTimeout = 30.0
        public var progressEvery = 30.0

        public init(seed: UInt64) { self.seed = seed }

        public static func parse(_ arguments: [String], defaultSeed: UInt64) throws(UsageError) -> Options {
            var flags = try Flags(arguments, booleans: ["auth", "send-known-crashes", "trace", "dry-run"])
            var o = Options(seed: defaultSeed)
            let endpoints = flags.string("endpoints", default: o.endpoint)
            o.endpoint = String(endpoints.split(separator: ",").first ?? Substring(o.endpoint))
            o.cases = try flags.int("cases", default: o.cases, minimum: 1)
            if let seed = flags.optionalString("seed") {
                let parsed = seed.hasPrefix("0x") ? UInt64(seed.dropFirst(2), radix: 16) : UInt64(seed)
                guard let parsed else { throw UsageError("--seed needs a decimal or 0x-hex 64-bit number, got '\(seed)'") }
                o.seed = parsed
            }
            o.connections = try flags.int("conns", default: o.connections, minimum: 1)
            o.batch = try flags.int("batch", default: o.batch, minimum: 1)
            o.limits = FuzzLimits(maxRequestBytes: try flags.int("max-request-bytes", default: o.limits.maxRequestBytes, minimum: 1),
                                  maxTxnOps: try flags.int("max-txn-ops", default: o.limits.maxTxnOps, minimum: 1))
            o.auth = try flags.bool("auth")
            o.rootPassword = flags.string("root-password", default: o.rootPassword)
            o.sendKnownCrashes = try flags.bool("send-known-crashes")
            o.trace = try flags.bool("trace")
            o.dryRun = try flags.bool("dry-run")
            o.probeTimeout = try flags.seconds("probe-timeout", default: o.probeTimeout)
            o.syncTimeout = try flags.seconds("sync-timeout", default: o.syncTimeout)
            o.progressEvery = try flags.seconds("progress", default: o.progressEvery)
            if let extra = flags.positional.first { throw UsageError("unexpected argument '\(extra)'") }
            try flags.finish()
            return o
        }

        /// The command line that replays this run (up to `cases`).
        public func replay(cases: Int) -> String {
            var line = "kvbench fuzz --endpoints \(endpoint) --seed \(seed) --cases \(cases) --conns \(connections) --batch \(batch)"
            if limits != FuzzLimits() { line += " --max-request-bytes \(limits.maxRequestBytes) --max-txn-ops \(limits.maxTxnOps)" }
            if auth { line += " --auth" }
            if sendKnownCrashes { line += " --send-known-crashes" }
            return line + " --trace"
        }
    }

    /// Runs `kvbench fuzz`; returns the exit status (0 healthy throughout, 1 failure, 2 bad command line).
    public static func main(_ arguments: [String]) -> Int32 {
        let options: Options
        do {
            options = try Options.parse(arguments, defaultSeed: Posix.monotonicNanoseconds() ^ UInt64(UInt32(bitPattern: getpid())) << 32)
        } catch {
            LoadBenchmark.printError("kvbench fuzz: \(error)\nRun 'kvbench fuzz --help' for usage.")
            return 2
        }
        let mode: FuzzMode = options.auth ? .auth(rootPassword: options.rootPassword) : .standard
        let knownCrashes = options.sendKnownCrashes ? [] : KnownCrashes.lineProtocol
        let source = LineFuzzer(seed: options.seed, mode: mode, limits: options.limits, knownCrashes: knownCrashes)
        if options.dryRun { return dryRun(source, options) }
        let transport = LineTransport(endpoint: options.endpoint, mode: mode, probeTimeout: options.probeTimeout, nonce: options.seed)
        var configuration = FuzzConfiguration(seed: options.seed, cases: options.cases)
        configuration.connections = options.connections
        configuration.batchSize = options.batch
        configuration.syncTimeout = options.syncTimeout
        let driver = FuzzDriver(configuration, source: source, transport: transport)
        if options.trace {
            driver.trace = { index, lane, fuzzCase in
                LoadBenchmark.printError("#\(index) conn \(lane): \(fuzzCase.summary)")
            }
        }
        var lastProgress = 0.0
        driver.progress = { progress in
            guard progress.seconds - lastProgress >= options.progressEvery else { return }
            lastProgress = progress.seconds
            let p99 = Summary.fixed(Double(progress.health.percentile(99)) / 1e6, 3)
            let max = Summary.fixed(Double(progress.health.maximum) / 1e6, 3)
            LoadBenchmark.note("\(progress.casesSent) of \(options.cases) cases, \(Summary.fixed(progress.seconds / 60, 1)) min, healthy p99 \(p99) ms, max \(max) ms")
        }
        let skipping = knownCrashes.isEmpty ? "sending known crashes" : "skipping known crashes: " + knownCrashes.map(\.name).joined(separator: ", ")
        LoadBenchmark.note("fuzz → \(options.endpoint): seed \(options.seed), \(options.cases) cases, \(options.connections) connections, batches of \(options.batch), \(options.auth ? "auth mode" : "auth off"), \(skipping)")
        let report = driver.run()
        for line in report.figures() { print(line) }
        print("fuzz.mutations: " + report.mutations.map { "\($0.name)=\($0.count)" }.joined(separator: " "))
        fflush(nil)
        guard let failure = report.failure else { return 0 }
        LoadBenchmark.printError("\(failure)\n  replay: \(options.replay(cases: failure.cases.upperBound))")
        return 1
    }

    /// Generates the cases without sending them.
    static func dryRun(_ source: LineFuzzer, _ options: Options) -> Int32 {
        var source = source
        var counts: [String: Int] = [:]
        var bytes = 0
        let start = Posix.monotonicNanoseconds()
        for index in 0..<options.cases {
            let fuzzCase = source.next()
            if options.trace { LoadBenchmark.printError("#\(index): \(fuzzCase.summary)") }
            bytes += fuzzCase.bytes.count
            for mutation in fuzzCase.mutations { counts[mutation, default: 0] += 1 }
        }
        let seconds = Double(Posix.monotonicNanoseconds() - start) / 1e9
        print("fuzz.dry_run_cases: \(options.cases) cases")
        print("fuzz.dry_run_bytes: \(bytes) bytes")
        print("fuzz.dry_run_seconds: \(Summary.fixed(seconds, 2)) s")
        for (reason, count) in source.skipped { print("fuzz.skipped_known_crash.\(reason): \(count) cases") }
        print("fuzz.mutations: " + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        return 0
    }
}
