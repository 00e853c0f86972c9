import KVClient
import Glibc
import KVPosix
import KVProtocol

/// `kvbench put|get|range|txn|watch`: runs one load benchmark against a server and prints its summary.
public enum LoadBenchmark {
    public static let usage = """
    usage: kvbench put|get|range|txn|watch [flags]

      put     PUT random (or --sequential-keys) keys of --key-space-size
      get     GET one key of --key-space-size per request (the keys are written once first; --preload=false skips that)
      range   GET KEY [END] [--prefix] [--limit N] [--serializable] [--keys-only] [--count-only]: the same read every time
      txn     TXN THEN PUT … END with --txn-ops puts of distinct keys
      watch   --watchers W WATCHes on --watched-key-total keys over --conns connections, then --put-total puts
              to those keys on one more connection (--clients × --pipeline in flight); reports events/s received

    flags (etcd benchmark names):
      --endpoints HOST:PORT   server (default 127.0.0.1:2379; the first of a comma list)
      --conns N               connections (default 1)
      --clients N             concurrent requests, spread over the connections (default 1)
      --pipeline N            requests each client keeps in flight (default 1)
      --total N               requests (default 10000; 100k and 1m suffixes accepted)
      --key-size B            key length; keys are zero-padded decimal numbers (default 8)
      --val-size B            value length (default 256)
      --key-space-size N      distinct keys (default 1)
      --sequential-keys       keys in order instead of random
      --txn-ops N             txn: puts per transaction (default 1)
      --watchers N, --watched-key-total N, --watched-key-size B, --put-total N   watch shape
      --timeout D             bound on the whole run (default 60s)
      --name NAME             prefix of the figures printed last (default: the command)
      --precise               summary times with 6 decimals
      --user NAME:PASSWORD    log every connection in first (a server with auth enabled)
      --cacert FILE, --cert FILE, --key FILE, --insecure-skip-tls-verify
                              TLS (also for an https:// endpoint): the CA that signed the server's
                              certificate, a client certificate, or no verification

    Output: etcd benchmark's summary, the client's CPU, then `NAME.figure: value unit` lines.
    Exit status: 0 ok, 1 server unreachable / ERR replies / timeout, 2 bad command line.
    """

    /// Runs the benchmark; returns the exit status.
    public static func main(_ command: LoadCommand, _ arguments: [String]) -> Int32 {
        let options: LoadOptions
        do {
            options = try LoadOptions.parse(command, arguments)
        } catch {
            printError("kvbench \(command.rawValue): \(error)\nRun 'kvbench --help' for usage.")
            return 2
        }
        do {
            return try run(options)
        } catch {
            printError("kvbench \(command.rawValue): \(error)")
            return 1
        }
    }

    static func run(_ o: LoadOptions) throws(RunError) -> Int32 {
        let engine = try LoadEngine(endpoint: o.endpoint, timeoutSeconds: o.timeoutSeconds)
        if let configuration = o.tls {
            do {
                engine.tls = try ClientTLS(configuration)
            } catch {
                throw RunError("TLS: \(error)")
            }
            engine.tlsHost = o.host
        }
        if let user = o.user, let colon = user.firstIndex(of: ":") {
            engine.login = RequestEncoder.encode(.authenticate(AuthenticateRequest(
                name: String(user[..<colon]), password: String(user[user.index(after: colon)...]))))
        }
        if o.command == .watch { return try watch(o, engine) }

        let source: RequestSource = switch o.command {
        case .put: .put(o)
        case .get: .get(o)
        case .range: .range(o)
        case .txn: .txn(o)
        case .watch: fatalError("handled above")
        }
        let windows = o.windows
        // Room for the longest line of any phase (the get preload writes PUT lines).
        let lineLength = o.command == .get && o.preload ? max(source.lineLength, RequestSource.preload(o).lineLength) : source.lineLength
        for window in windows {
            try engine.connect(load: true, window: window, lineLength: lineLength)
        }
        note("\(o.command.rawValue) → \(o.endpoint): \(windows.count) connections, \(o.clients) clients, pipeline \(o.pipeline), \(o.total) requests, key \(o.keySize) B, value \(o.valueSize) B, key space \(o.keySpaceSize)\(o.sequentialKeys ? " (sequential)" : "")")

        if o.command == .get && o.preload {
            let preload = RequestSource.preload(o)
            try engine.startPhase(preload, total: o.keySpaceSize)
            try engine.run { engine.completed == o.keySpaceSize }
            if engine.errors > 0 {
                throw RunError("preloading \(o.keySpaceSize) keys: \(engine.errors) ERR replies, first: \(engine.firstError ?? "")")
            }
        }

        let cpu0 = cpuSeconds()
        let t0 = Posix.monotonicNanoseconds()
        try engine.startPhase(source, total: o.total)
        try engine.run { engine.completed == o.total }
        let t1 = Posix.monotonicNanoseconds()
        let result = RunResult(name: o.name, histogram: engine.histogram, seconds: Double(t1 - t0) / 1e9,
                               errors: engine.errors, cpuSeconds: cpuSeconds() - cpu0, precise: o.precise)
        print(Summary.render(result))
        for line in Summary.figures(result) { print(line) }
        fflush(nil)
        if result.errors > 0 {
            printError("kvbench \(o.command.rawValue): \(result.errors) of \(result.requests) replies were errors; first: \(engine.firstError ?? "")")
            return 1
        }
        return 0
    }

    /// Watchers first (all created before any put), then the puts; counts EVENT lines until every
    /// watcher has seen every put to its key.
    static func watch(_ o: LoadOptions, _ engine: LoadEngine) throws(RunError) -> Int32 {
        let watchConnections = min(o.connections, o.watchers)
        // The last watcher's line is the longest (its tag has the most digits).
        let lineLength = RequestSource.watchLine(o, watcher: o.watchers - 1).count
        for c in 0..<watchConnections {
            let count = o.watchers / watchConnections + (c < o.watchers % watchConnections ? 1 : 0)
            try engine.connect(load: false, window: count, lineLength: lineLength)
        }
        note("watch → \(o.endpoint): \(o.watchers) watchers on \(o.watchedKeyTotal) keys over \(watchConnections) connections, then \(o.putTotal) puts on 1 connection with \(o.clients * o.pipeline) in flight, value \(o.valueSize) B")
        for i in 0..<o.watchers {
            try engine.sendRaw(RequestSource.watchLine(o, watcher: i), onWatchConnection: i)
        }
        try engine.run { engine.watchAcks + engine.watchErrors == o.watchers }
        if engine.watchErrors > 0 {
            throw RunError("\(engine.watchErrors) of \(o.watchers) WATCH requests failed; first: \(engine.firstError ?? "")")
        }

        let puts = RequestSource.watchedPuts(o)
        try engine.connect(load: true, window: o.clients * o.pipeline, lineLength: puts.lineLength)
        var expected = 0
        for j in 0..<o.putTotal {
            let k = j % o.watchedKeyTotal
            expected += o.watchers / o.watchedKeyTotal + (k < o.watchers % o.watchedKeyTotal ? 1 : 0)
        }
        let cpu0 = cpuSeconds()
        let t0 = Posix.monotonicNanoseconds()
        try engine.startPhase(puts, total: o.putTotal)
        try engine.run { engine.completed == o.putTotal && engine.eventLines >= expected }
        let t1 = Posix.monotonicNanoseconds()
        let cpu = cpuSeconds() - cpu0
        let putResult = RunResult(name: o.name + ".put", histogram: engine.histogram, seconds: Double(t1 - t0) / 1e9,
                                  errors: engine.errors, cpuSeconds: cpu, precise: o.precise)
        print(Summary.render(putResult))
        let eventSeconds = Double(engine.lastEventTime - t0) / 1e9
        let eventsPerSecond = eventSeconds > 0 ? Double(engine.eventLines) / eventSeconds : 0
        print("Events received:\t\(engine.eventLines) of \(expected) in \(Summary.fixed(eventSeconds, 4)) secs. (\(Summary.fixed(eventsPerSecond, 1)) events/sec)\n")
        for line in Summary.figures(putResult) { print(line) }
        print("\(o.name).events: \(engine.eventLines) events")
        print("\(o.name).events_per_sec: \(Summary.fixed(eventsPerSecond, 0)) events/s")
        print("\(o.name).client_cpu_us_per_event: \(Summary.fixed(engine.eventLines > 0 ? cpu * 1e6 / Double(engine.eventLines) : 0, 3)) us")
        fflush(nil)
        if engine.errors > 0 {
            printError("kvbench watch: \(engine.errors) puts failed; first: \(engine.firstError ?? "")")
            return 1
        }
        return 0
    }

    /// User + system CPU of this process so far.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func note(_ text: String) {
        print("# \(text)")
        fflush(nil)
    }

    static func printError(_ text: String) {
        let message = text + "\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
    }
}
