import KVClient

/// The load benchmarks against a running server.
public enum LoadCommand: String, CaseIterable, Sendable {
    case put, get, range, txn, watch
}

/// Everything `kvbench put|get|range|txn|watch` is told on its command line (names follow etcd's
/// `benchmark` tool where it has the same knob).
public struct LoadOptions: Equatable, Sendable {
    public var command: LoadCommand
    /// `host:port` of the server (the first of `--endpoints`).
    public var endpoint = "127.0.0.1:2379"
    public var connections = 1
    /// Concurrent requests spread over the connections; each keeps `pipeline` in flight.
    public var clients = 1
    public var pipeline = 1
    public var total = 10_000
    public var keySize = 8
    public var valueSize = 256
    public var keySpaceSize = 1
    public var sequentialKeys = false
    /// Overall bound on the run, connecting included.
    public var timeoutSeconds = 60.0
    /// Prefix of the machine-readable figures (default: the command).
    public var name = ""
    /// Summary times with 6 decimals instead of 4 (etcd's `--precise`).
    public var precise = false
    /// get: write every key of the key space once before measuring (so reads hit).
    public var preload = true
    /// get/range: `--serializable` (a single member always answers linearizably anyway).
    public var serializable = false
    /// range: the key (or prefix) and optional end.
    public var rangeKey = ""
    public var rangeEnd: String?
    public var prefix = false
    public var limit = 0
    public var keysOnly = false
    public var countOnly = false
    /// txn: puts per transaction (distinct keys).
    public var txnOps = 1
    /// watch: watchers, how many distinct keys they watch, and how many puts to those keys.
    public var watchers = 100
    public var watchedKeyTotal = 1
    public var watchedKeySize = 8
    public var putTotal = 1000
    /// `name:password` to log every connection in with (auth enabled on the server).
    public var user: String?
    /// TLS for every connection: an `https://` endpoint or any of `--cacert`, `--cert`, `--key`,
    /// `--insecure-skip-tls-verify` (etcd benchmark's flags).
    public var tls: ClientTLS.Configuration?
    /// The endpoint's host, which the server's certificate must name.
    public var host: String { String(endpoint.split(separator: ":").dropLast().joined(separator: ":")) }

    public init(command: LoadCommand) { self.command = command }

    public static let booleanFlags: Set<String> = [
        "sequential-keys", "precise", "preload", "serializable", "prefix", "keys-only", "count-only",
        "insecure-skip-tls-verify",
    ]

    /// Parses the arguments after the command name.
    public static func parse(_ command: LoadCommand, _ arguments: [String]) throws(UsageError) -> LoadOptions {
        var flags = try Flags(arguments, booleans: booleanFlags)
        var o = LoadOptions(command: command)
        let endpoints = flags.string("endpoints", default: o.endpoint)
        o.endpoint = String(endpoints.split(separator: ",").first ?? Substring(o.endpoint))
        var secure = false
        for scheme in ["https://", "http://"] where o.endpoint.hasPrefix(scheme) {
            secure = scheme == "https://"
            o.endpoint = String(o.endpoint.dropFirst(scheme.count))
        }
        let caFile = flags.optionalString("cacert"), certFile = flags.optionalString("cert"), keyFile = flags.optionalString("key")
        let skipVerify = try flags.bool("insecure-skip-tls-verify")
        if secure || caFile != nil || certFile != nil || keyFile != nil || skipVerify {
            guard (certFile == nil) == (keyFile == nil) else { throw UsageError("--cert and --key go together") }
            o.tls = ClientTLS.Configuration(caFile: caFile, certFile: certFile, keyFile: keyFile, skipVerify: skipVerify)
        }
        o.connections = try flags.int("conns", default: 1, minimum: 1)
        o.clients = try flags.int("clients", default: 1, minimum: 1)
        o.pipeline = try flags.int("pipeline", default: 1, minimum: 1)
        o.total = try flags.int("total", default: 10_000, minimum: 1)
        o.keySize = try flags.int("key-size", default: 8, minimum: 1)
        o.valueSize = try flags.int("val-size", default: 256)
        o.keySpaceSize = try flags.int("key-space-size", default: 1, minimum: 1)
        o.sequentialKeys = try flags.bool("sequential-keys")
        o.timeoutSeconds = try flags.seconds("timeout", default: 60)
        o.name = flags.string("name", default: command.rawValue)
        o.precise = try flags.bool("precise")
        if let user = flags.optionalString("user") {
            guard let colon = user.firstIndex(of: ":"), colon != user.startIndex else {
                throw UsageError("--user must be NAME:PASSWORD")
            }
            o.user = user
        }
        switch command {
        case .put:
            break
        case .get:
            o.preload = try flags.bool("preload", default: true)
            o.serializable = try flags.bool("serializable")
        case .range:
            o.serializable = try flags.bool("serializable")
            o.prefix = try flags.bool("prefix")
            o.limit = try flags.int("limit", default: 0)
            o.keysOnly = try flags.bool("keys-only")
            o.countOnly = try flags.bool("count-only")
            switch flags.positional.count {
            case 1: o.rangeKey = flags.positional[0]
            case 2: o.rangeKey = flags.positional[0]; o.rangeEnd = flags.positional[1]
            default: throw UsageError("range needs a key and an optional end: kvbench range KEY [END] [flags]")
            }
            if o.prefix && o.rangeEnd != nil { throw UsageError("range: --prefix conflicts with an explicit END") }
            if o.rangeKey.isEmpty && !o.prefix { throw UsageError("range: the key must not be empty") }
        case .txn:
            o.txnOps = try flags.int("txn-ops", default: 1, minimum: 1)
            if o.keySpaceSize < o.txnOps {
                throw UsageError("txn: --key-space-size (\(o.keySpaceSize)) must be at least --txn-ops (\(o.txnOps)): a transaction may not write a key twice")
            }
        case .watch:
            o.watchers = try flags.int("watchers", default: 100, minimum: 1)
            o.watchedKeyTotal = try flags.int("watched-key-total", default: 1, minimum: 1)
            o.watchedKeySize = try flags.int("watched-key-size", default: o.keySize, minimum: 1)
            o.putTotal = try flags.int("put-total", default: 1000, minimum: 1)
            if decimalDigits(o.watchedKeyTotal - 1) > o.watchedKeySize {
                throw UsageError("--watched-key-size \(o.watchedKeySize) is too small for \(o.watchedKeyTotal) distinct keys")
            }
        }
        if command != .range && command != .watch && !flags.positional.isEmpty {
            throw UsageError("unexpected argument '\(flags.positional[0])'")
        }
        if command == .watch && !flags.positional.isEmpty {
            throw UsageError("unexpected argument '\(flags.positional[0])'")
        }
        if decimalDigits(o.keySpaceSize - 1) > o.keySize {
            throw UsageError("--key-size \(o.keySize) is too small for --key-space-size \(o.keySpaceSize) (keys are zero-padded decimal numbers)")
        }
        try flags.finish()
        return o
    }

    /// How many connections carry load, and the window (requests in flight) of each: clients are
    /// dealt round-robin, so windows differ by at most `pipeline`.
    public var windows: [Int] {
        let used = min(connections, clients)
        return (0..<used).map { c in (clients / used + (c < clients % used ? 1 : 0)) * pipeline }
    }

    public static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 { rest /= 10; digits += 1 }
        return digits
    }
}
