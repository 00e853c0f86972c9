import KVWAL
import Glibc
import KVPosix
import KVStore

/// Everything `kvserver` can be told on its command line, with etcd's flag names and defaults.
///
/// Flags are written `--name=value` or `--name value` (etcd accepts both). Parsing never exits the
/// process: it returns a `ServerConfig`, or throws a `ConfigError` whose description is the one-line
/// message `main` prints before exiting with status 2.
struct ServerConfig: Sendable, Equatable {
    enum CompactionMode: String, Sendable, Equatable { case periodic, revision }

    /// Human-readable member name (`--name`).
    var name = "default"
    /// Where clients connect (`--listen-client-urls`, comma separated).
    var listenClientURLs = ["http://127.0.0.1:2379"]
    /// What this member tells clients to use (`--advertise-client-urls`); defaults to the listen URLs.
    var advertiseClientURLs: [String] = []
    /// Where the store is saved as a snapshot (`--data-dir`): loaded at start when present, saved on
    /// SIGINT/SIGTERM and on the snapshot schedule. Without it the server is purely in memory.
    var dataDir: String?
    /// Save a snapshot to the data dir every this many nanoseconds (`--snapshot-interval`; 0 = never).
    var snapshotInterval: UInt64 = 0
    /// Save a snapshot after this many revisions since the last save (`--snapshot-count`; 0 = never);
    /// with a data dir, also after this many log records (etcd's default 100,000 when not given).
    var snapshotCount: Int64 = 0
    /// When the data dir's write-ahead log reaches the disk (`--wal-sync`; `always` by default).
    var walSync: WALSyncMode = .always
    /// The largest request accepted (`--max-request-bytes`, etcd's 1.5 MiB default), measured as decoded
    /// (`Request.encodedSize`); a request line may be 64 KiB longer (the framing guard).
    var maxRequestBytes = 1_572_864
    var maxTxnOps = 128
    /// Memory quota on the store's size (`--quota-backend-bytes`); 0 means etcd's default of 2 GiB.
    var quotaBackendBytes: Int64 = 0
    var maxConnections = 0
    /// HTTP/2 streams (gRPC calls) open at once on one connection; more are refused (REFUSED_STREAM,
    /// which gRPC clients retry). etcd's default is unlimited; ours bounds a connection's memory.
    var maxConcurrentStreams = 4096
    var autoCompactionMode: CompactionMode = .periodic
    /// Periodic: nanoseconds of history kept; revision: revisions kept. 0 disables auto-compaction.
    var autoCompactionRetention: Int64 = 0
    var logLevel: LogLevel = .info
    var eventLoops = 0
    /// Unsent reply bytes per connection above which the server stops reading from it.
    var maxOutputBytes = 4 << 20
    /// Log bytes since the last snapshot that make a snapshot due (hidden `--snapshot-log-bytes`).
    var snapshotLogBytes = 64 << 20
    /// How often watches that asked for it get a progress notification (etcd: 10 minutes).
    var progressNotifyInterval: UInt64 = 600 * 1_000_000_000
    /// How long a connection's half-sent first line is waited for before it is served as the line
    /// protocol (see `ProtocolSniffer`); a connection that sends nothing is never timed out.
    var protocolSniffTimeout: UInt64 = 5_000_000_000
    /// How long an HTTP/1.1 request's head (request line and headers) may take to arrive once it has
    /// begun; a slower client gets 408 and is closed (slow-loris).
    var httpHeaderTimeout: UInt64 = 10_000_000_000
    /// The server's TLS certificate chain and private key, PEM (`--cert-file`, `--key-file`): required
    /// by an `https://` client URL.
    var certFile: String?
    var keyFile: String?
    /// CA certificates (PEM) that sign client certificates (`--trusted-ca-file`); with it, or with
    /// `--client-cert-auth`, a TLS client without such a certificate is refused at the handshake.
    var trustedCAFile: String?
    var clientCertAuth = false
    /// PEM CRLs of revoked client certificates (`--client-crl-file`): a client presenting a certificate
    /// one of them lists is refused at the handshake.
    var clientCRLFile: String?
    /// A host (DNS name or IP address) every client certificate must name among its subject alternative
    /// names (`--client-cert-allowed-hostname`), as etcd checks it.
    var clientCertAllowedHostname: String?
    /// etcd's `--auto-tls`: without `--cert-file` and `--key-file`, `https://` client URLs use a
    /// self-signed certificate made at start (kept in `<data-dir>/fixtures/client`, as etcd keeps it).
    var autoTLS = false
    /// etcd's `--cipher-suites`, Go's names: the TLS 1.2 suites served, in order (empty: OpenSSL's defaults).
    var cipherSuites: [String] = []
    /// How long a TLS client may take to complete its handshake, from the accept (hidden flag).
    var tlsHandshakeTimeout: UInt64 = 10_000_000_000

    /// Seconds an idle auth token stays valid (etcd's `--auth-token-ttl`).
    var authTokenTTL = 300
    /// The delay before answering a connection's first failed login; it doubles with each further
    /// failure on that connection, up to `maxAuthFailureDelay`. It also sets the pace of the server-wide
    /// `LoginGuard` (0 turns both off).
    var authFailureDelay: UInt64 = 100_000_000
    static let maxAuthFailureDelay: UInt64 = 5_000_000_000
    /// PBKDF2 iterations for new password hashes (hidden: lowered by tests).
    var passwordHashIterations = PasswordHash.defaultIterations
    var showHelp = false
    var showVersion = false
    /// etcd flags given that mean nothing here (`EtcdFlags`), for one log line.
    var ignoredEtcdFlags: [String] = []
    /// `--initial-cluster` and `--initial-cluster-state`, checked against the single member.
    var initialCluster: String?
    var initialClusterState: String?

    /// etcd's default backend quota.
    static let defaultQuota: Int64 = 2 << 30

    /// The largest `--max-request-bytes`: a request line (the request plus 64 KiB for the command) must
    /// fit in an `Int32`, as a gRPC message must in etcd.
    static let maximumRequestBytes = Int(Int32.max) - 65_536

    var effectiveQuota: Int64 { quotaBackendBytes <= 0 ? ServerConfig.defaultQuota : quotaBackendBytes }
    var effectiveAdvertiseURLs: [String] { advertiseClientURLs.isEmpty ? listenClientURLs : advertiseClientURLs }
    /// One loop for up to two cores (the store serializes writes anyway), else half the cores.
    var effectiveEventLoops: Int {
        if eventLoops > 0 { return eventLoops }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return cores <= 2 ? 1 : min(cores / 2, 8)
    }

    static let usage = """
        Usage: kvserver [flags]

        An in-memory, etcd-compatible key-value server (protocol: docs/PROTOCOL.md).

        Member:
          --name NAME                        human-readable member name (default "default")
          --listen-client-urls URLS          comma-separated URLs to serve clients on
                                             (default "http://127.0.0.1:2379"; host:port accepted;
                                             https:// serves TLS there, with --cert-file and --key-file)
          --advertise-client-urls URLS       client URLs to report in MEMBERS (default: the listen URLs)
          --data-dir DIR                     keep the store durable in DIR: a snapshot (kv.snap) and a
                                             write-ahead log of every change since it (wal/), replayed at
                                             start (default: none, purely in memory: everything is lost
                                             when the server stops)
          --wal-sync MODE                    always (default: a write is acknowledged once fdatasync'ed),
                                             interval=DURATION (fdatasync at most every DURATION: a power
                                             cut may lose that long) or none (never synced: tests only)
          --snapshot-interval DURATION       also save every DURATION (30s, 5m, 1h; default 0 = off)
          --snapshot-count N                 save a snapshot (and start a new log segment) after N log
                                             records (default 100000)

        TLS:
          --cert-file FILE                   the server's certificate chain (PEM), for https:// client URLs
          --key-file FILE                    its private key (PEM); checked against the certificate at start
          --trusted-ca-file FILE             CA certificates (PEM) for client certificates: a TLS client
                                             must present one they signed, or is refused at the handshake
          --client-cert-auth                 require client certificates (against --trusted-ca-file, or
                                             the system's trust store without it)
          --client-crl-file FILE             revoked client certificates (PEM CRLs): a TLS client
                                             presenting one is refused at the handshake
          --client-cert-allowed-hostname H   a client certificate must also name H (a DNS name or IP
                                             address) among its subject alternative names
          --auto-tls                         without --cert-file: a self-signed certificate made at start
                                             (clients then need --insecure-skip-tls-verify), as etcd
          --cipher-suites A,B                TLS 1.2 cipher suites served, Go's names as etcd's
                                             (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, …); TLS 1.3 unaffected

        Limits:
          --max-request-bytes N              largest request accepted, measured as etcd's protobuf encoding
                                             of it (default 1572864; at most 2147418111)
          --max-txn-ops N                    most operations in one transaction (default 128)
          --quota-backend-bytes N            memory quota on keys, values, history and leases; writes
                                             and lease grants fail with NOSPACE above it (default 0 = 2 GiB)
          --max-connections N                most concurrent client connections (default 0 = unlimited)
          --max-concurrent-streams N         most streams (gRPC calls, HTTP requests) open at once on
                                             one HTTP/2 connection (default 4096)
          --max-output-bytes N               unsent reply bytes per connection before the server stops
                                             producing more for it (default 4194304)

        Compaction:
          --auto-compaction-mode MODE        periodic or revision (default periodic)
          --auto-compaction-retention VALUE  periodic: a duration (1h, 30m, 90s) or plain hours;
                                             revision: revisions to keep (default 0 = off)

        Auth:
          --auth-token-ttl N                 seconds an idle auth token stays valid (default 300)
          --auth-failure-delay DURATION      delay before answering a failed login; doubles with each
                                             further failure on the connection, up to 5s; across
                                             connections, each user name may then try once per 10 delays
                                             and each address once per 2 (default 100ms; 0 = off)

        Server:
          --log-level LEVEL                  debug, info, warn or error (default info)
          --event-loops N                    event loop threads (default: 1 on up to 2 cores)
          --help                             print this help and exit
          --version                          print the version and exit
          -h                                 same as --help

        etcd 3.4's flags are accepted, so etcd's unit files and scripts start kvserver unchanged:
          --listen-peer-urls, --initial-advertise-peer-urls, --initial-cluster, --initial-cluster-state,
          --initial-cluster-token describe this one member (an --initial-cluster naming several members
          is refused); --debug is --log-level debug; --experimental-watch-progress-notify-interval is
          applied; the others (--heartbeat-interval, --election-timeout, --logger, --log-outputs,
          --enable-v2, --listen-metrics-urls, peer TLS, --experimental-*, …) mean nothing for one
          in-memory member and are logged once as ignored.
          ETCD_<FLAG> environment variables (ETCD_DATA_DIR for --data-dir) set flags as for etcd; a flag
          on the command line wins.

        """

    enum Flag: String, CaseIterable {
        case name, listenClientURLs = "listen-client-urls", advertiseClientURLs = "advertise-client-urls"
        case dataDir = "data-dir", snapshotInterval = "snapshot-interval", snapshotCount = "snapshot-count"
        case walSync = "wal-sync"
        case maxRequestBytes = "max-request-bytes", maxTxnOps = "max-txn-ops"
        case quotaBackendBytes = "quota-backend-bytes", maxConnections = "max-connections"
        case autoCompactionMode = "auto-compaction-mode", autoCompactionRetention = "auto-compaction-retention"
        case logLevel = "log-level", eventLoops = "event-loops", help, version
        case authTokenTTL = "auth-token-ttl", authFailureDelay = "auth-failure-delay"
        case maxOutputBytes = "max-output-bytes", maxConcurrentStreams = "max-concurrent-streams"
        // Hidden: for tests and experiments.
        case progressNotifyInterval = "progress-notify-interval", snapshotLogBytes = "snapshot-log-bytes"
        case passwordHashIterations = "password-hash-iterations"
        case protocolSniffTimeout = "protocol-sniff-timeout", httpHeaderTimeout = "http-header-timeout"
        case tlsHandshakeTimeout = "tls-handshake-timeout"
        // etcd's client TLS flags that kvserver serves.
        case certFile = "cert-file", keyFile = "key-file"
    }

    /// etcd's flags that kvserver has no flag of its own for (see `EtcdFlags`).
    private mutating func applyEtcdFlag(_ name: String, _ value: String) throws(ConfigError) {
        switch name {
        case "initial-cluster": initialCluster = value
        case "initial-cluster-state": initialClusterState = value
        case "listen-peer-urls", "initial-advertise-peer-urls", "initial-cluster-token":
            break   // one member has no peers to listen to or advertise to
        case "experimental-watch-progress-notify-interval":
            guard let nanos = ServerConfig.duration(value), nanos > 0 else {
                throw ConfigError("invalid duration \"\(value)\" for --\(name)")
            }
            progressNotifyInterval = UInt64(nanos)
        case "debug":
            if value == "true" { logLevel = .debug }
        case "trusted-ca-file": trustedCAFile = value.isEmpty ? nil : value
        case "client-crl-file": clientCRLFile = value.isEmpty ? nil : value
        case "client-cert-allowed-hostname": clientCertAllowedHostname = value.isEmpty ? nil : value
        case "cipher-suites": cipherSuites = try CipherSuites.parse(value)
        case "client-cert-auth":
            switch value.lowercased() {
            case "true", "t", "1": clientCertAuth = true
            case "false", "f", "0": clientCertAuth = false
            default: throw ConfigError("invalid boolean value \"\(value)\" for --client-cert-auth (expected true or false)")
            }
        case "auto-tls":
            switch value.lowercased() {
            case "true", "t", "1": autoTLS = true
            case "false", "f", "0": autoTLS = false
            default: throw ConfigError("invalid boolean value \"\(value)\" for --auto-tls (expected true or false)")
            }
        default:
            if !ignoredEtcdFlags.contains("--" + name) { ignoredEtcdFlags.append("--" + name) }
        }
    }

    /// Parses the arguments after the program name, after the `ETCD_*` variables of `environment` (a
    /// flag on the command line wins over its variable, as in etcd).
    static func parse(_ arguments: [String], environment: [String: String]) throws(ConfigError) -> ServerConfig {
        try parse(EtcdFlags.arguments(fromEnvironment: environment).arguments + arguments)
    }

    /// Parses the arguments after the program name.
    static func parse(_ arguments: [String]) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        var retentionText: String?
        var walSyncGiven = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-", argument != "--" else {
                throw ConfigError("unexpected argument \"\(argument)\" (flags start with --)")
            }
            var body = argument.dropFirst(argument.hasPrefix("--") ? 2 : 1)
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                value = String(body[body.index(after: equals)...])
                body = body[..<equals]
            }
            if body == "h" { config.showHelp = true; continue }
            guard let flag = Flag(rawValue: String(body)) else {
                let name = String(body)
                guard EtcdFlags.isKnown(name) || name == "experimental-watch-progress-notify-interval" else {
                    throw ConfigError("unknown flag --\(body)")
                }
                if value == nil {
                    if EtcdFlags.booleans.contains(name) {
                        value = "true"
                    } else {
                        guard index < arguments.count else { throw ConfigError("flag --\(name) needs a value") }
                        value = arguments[index]
                        index += 1
                    }
                }
                try config.applyEtcdFlag(name, value!)
                continue
            }
            if flag == .help || flag == .version {
                if value != nil { throw ConfigError("flag --\(flag.rawValue) takes no value") }
                if flag == .help { config.showHelp = true } else { config.showVersion = true }
                continue
            }
            if value == nil {
                guard index < arguments.count else { throw ConfigError("flag --\(flag.rawValue) needs a value") }
                value = arguments[index]
                index += 1
            }
            let text = value!
            switch flag {
            case .name:
                guard !text.isEmpty else { throw ConfigError("--name must not be empty") }
                config.name = text
            case .listenClientURLs: config.listenClientURLs = try urls(text, flag: flag)
            case .advertiseClientURLs: config.advertiseClientURLs = try urls(text, flag: flag)
            case .dataDir:
                guard !text.isEmpty else { throw ConfigError("--data-dir must not be empty") }
                config.dataDir = text
            case .snapshotInterval:
                guard let nanos = duration(text) ?? seconds(text), nanos >= 0 else {
                    throw ConfigError("invalid duration \"\(text)\" for --snapshot-interval (expected e.g. 30s, 5m, 1h, or seconds)")
                }
                config.snapshotInterval = UInt64(nanos)
            case .snapshotCount: config.snapshotCount = try integer(text, flag: flag, minimum: 0)
            case .walSync:
                guard let mode = WALSyncMode.parse(text) else {
                    throw ConfigError("invalid value \"\(text)\" for --wal-sync (expected always, none or interval=DURATION such as interval=1s)")
                }
                config.walSync = mode
                walSyncGiven = true
            case .maxRequestBytes:
                let bytes = try integer(text, flag: flag, minimum: 1)
                guard bytes <= ServerConfig.maximumRequestBytes else {
                    throw ConfigError("invalid value \"\(text)\" for --max-request-bytes (at most \(ServerConfig.maximumRequestBytes))")
                }
                config.maxRequestBytes = Int(bytes)
            case .maxTxnOps: config.maxTxnOps = Int(try integer(text, flag: flag, minimum: 1))
            case .quotaBackendBytes: config.quotaBackendBytes = try integer(text, flag: flag, minimum: 0)
            case .maxConnections: config.maxConnections = Int(try integer(text, flag: flag, minimum: 0))
            case .maxConcurrentStreams: config.maxConcurrentStreams = Int(try integer(text, flag: flag, minimum: 1, maximum: Int64(UInt32.max)))
            case .autoCompactionMode:
                guard let mode = CompactionMode(rawValue: text) else {
                    throw ConfigError("invalid value \"\(text)\" for --auto-compaction-mode (expected periodic or revision)")
                }
                config.autoCompactionMode = mode
            case .autoCompactionRetention: retentionText = text
            case .logLevel:
                guard let level = LogLevel(name: text) else {
                    throw ConfigError("invalid value \"\(text)\" for --log-level (expected debug, info, warn or error)")
                }
                config.logLevel = level
            case .eventLoops: config.eventLoops = Int(try integer(text, flag: flag, minimum: 1, maximum: 64))
            case .maxOutputBytes: config.maxOutputBytes = Int(try integer(text, flag: flag, minimum: 1))
            case .snapshotLogBytes: config.snapshotLogBytes = Int(try integer(text, flag: flag, minimum: 1 << 20))
            case .progressNotifyInterval:
                guard let nanos = duration(text), nanos > 0 else {
                    throw ConfigError("invalid duration \"\(text)\" for --progress-notify-interval")
                }
                config.progressNotifyInterval = UInt64(nanos)
            case .authTokenTTL: config.authTokenTTL = Int(try integer(text, flag: flag, minimum: 1, maximum: 1 << 31))
            case .authFailureDelay:
                guard let nanos = duration(text), nanos >= 0 else {
                    throw ConfigError("invalid duration \"\(text)\" for --auth-failure-delay (expected e.g. 100ms, 1s)")
                }
                config.authFailureDelay = UInt64(min(nanos, Int64(ServerConfig.maxAuthFailureDelay)))
            case .certFile: config.certFile = text.isEmpty ? nil : text
            case .keyFile: config.keyFile = text.isEmpty ? nil : text
            case .protocolSniffTimeout, .httpHeaderTimeout, .tlsHandshakeTimeout:
                guard let nanos = duration(text), nanos > 0 else {
                    throw ConfigError("invalid duration \"\(text)\" for --\(flag.rawValue) (expected e.g. 500ms, 10s)")
                }
                if flag == .protocolSniffTimeout {
                    config.protocolSniffTimeout = UInt64(nanos)
                } else if flag == .tlsHandshakeTimeout {
                    config.tlsHandshakeTimeout = UInt64(nanos)
                } else {
                    config.httpHeaderTimeout = UInt64(nanos)
                }
            case .passwordHashIterations:
                config.passwordHashIterations = Int(try integer(text, flag: flag, minimum: 1, maximum: 10_000_000))
            case .help, .version: break
            }
        }
        try config.checkCluster()
        try config.checkTLS()
        if walSyncGiven && config.dataDir == nil {
            throw ConfigError("--wal-sync needs --data-dir (without a data dir nothing is written to disk)")
        }
        if let retentionText {
            switch config.autoCompactionMode {
            case .periodic:
                guard let nanos = duration(retentionText) ?? hours(retentionText) else {
                    throw ConfigError("invalid value \"\(retentionText)\" for --auto-compaction-retention (periodic: a duration like 1h, 30m, 90s, or plain hours)")
                }
                config.autoCompactionRetention = nanos
            case .revision:
                guard let revisions = Int64(retentionText), revisions >= 0 else {
                    throw ConfigError("invalid value \"\(retentionText)\" for --auto-compaction-retention (revision: a number of revisions)")
                }
                config.autoCompactionRetention = revisions
            }
        }
        return config
    }

    private static func urls(_ text: String, flag: Flag) throws(ConfigError) -> [String] {
        let list = text.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        guard !list.isEmpty else { throw ConfigError("--\(flag.rawValue) needs at least one URL") }
        for url in list {
            let clientURL = ClientURL(url)
            do {
                _ = try SocketAddress(parsing: clientURL.address)
            } catch {
                // The message names the URL as given, `https://` included.
                var message = "\(error)"
                if message.hasPrefix(clientURL.address) { message = url + message.dropFirst(clientURL.address.count) }
                throw ConfigError("invalid URL for --\(flag.rawValue): \(message)")
            }
        }
        return list
    }

    private static func integer(_ text: String, flag: Flag, minimum: Int64, maximum: Int64 = .max) throws(ConfigError) -> Int64 {
        guard let value = Int64(text), value >= minimum, value <= maximum else {
            let range = maximum == .max ? "an integer ≥ \(minimum)" : "an integer from \(minimum) to \(maximum)"
            throw ConfigError("invalid value \"\(text)\" for --\(flag.rawValue) (expected \(range))")
        }
        return value
    }

    /// `1h`, `30m`, `90s`, `500ms`, `1h30m` → nanoseconds; nil on bad syntax or when the total does not
    /// fit in an `Int64` (about 292 years).
    static func duration(_ text: String) -> Int64? {
        var total: Int64 = 0
        var number: Int64?
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while let first = rest.first {
            if let digit = first.wholeNumberValue, first.isASCII {
                let (times10, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                number = sum
                rest = rest.dropFirst()
                continue
            }
            guard let value = number else { return nil }
            let unit: Int64
            if rest.hasPrefix("ms") { unit = 1_000_000; rest = rest.dropFirst(2) }
            else if rest.hasPrefix("h") { unit = 3_600_000_000_000; rest = rest.dropFirst() }
            else if rest.hasPrefix("m") { unit = 60_000_000_000; rest = rest.dropFirst() }
            else if rest.hasPrefix("s") { unit = 1_000_000_000; rest = rest.dropFirst() }
            else { return nil }
            let (part, o1) = value.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { return nil }
            total = sum
            number = nil
        }
        return number == nil ? total : nil
    }

    /// Plain seconds (`--snapshot-interval 30`) → nanoseconds; nil on bad syntax, a negative value or
    /// overflow.
    static func seconds(_ text: String) -> Int64? {
        guard let value = Int64(text), value >= 0 else { return nil }
        let (nanos, overflow) = value.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? nil : nanos
    }

    /// Plain hours (etcd's historical form of the periodic retention): `1`, `0`.
    static func hours(_ text: String) -> Int64? {
        guard let value = Int64(text), value >= 0, value < 1_000_000 else { return nil }
        return value * 3_600_000_000_000
    }
}

extension ServerConfig {
    /// The client URLs that are TLS (`https://`).
    var tlsListenURLs: [String] { listenClientURLs.filter { ClientURL($0).isTLS } }

    /// An `https://` client URL needs `--cert-file` and `--key-file`, as in etcd; the two come together.
    /// (Whether the files load is checked when the server starts: `TLSServerContext`.)
    func checkTLS() throws(ConfigError) {
        if (certFile == nil) != (keyFile == nil) {
            throw ConfigError(certFile == nil ? "--key-file given without --cert-file" : "--cert-file given without --key-file")
        }
        if let url = tlsListenURLs.first, certFile == nil, !autoTLS {
            throw ConfigError("--listen-client-urls \(url): TLS needs --cert-file and --key-file, or --auto-tls (or use http://)")
        }
        if !cipherSuites.isEmpty && tlsListenURLs.isEmpty {
            throw ConfigError("--cipher-suites needs an https:// URL in --listen-client-urls")
        }
        if autoTLS && tlsListenURLs.isEmpty {
            throw ConfigError("--auto-tls needs an https:// URL in --listen-client-urls (its certificate is served there)")
        }
        if (clientCertAuth || trustedCAFile != nil) && tlsListenURLs.isEmpty {
            throw ConfigError("--\(clientCertAuth ? "client-cert-auth" : "trusted-ca-file") needs an https:// URL in --listen-client-urls (client certificates are checked during the TLS handshake)")
        }
        if clientCRLFile != nil && !clientCertAuth && trustedCAFile == nil {
            // etcd would start and check nothing: no client is asked for a certificate to revoke.
            throw ConfigError("--client-crl-file needs --client-cert-auth or --trusted-ca-file (it revokes client certificates, which only they ask for)")
        }
        if clientCertAllowedHostname != nil && !clientCertAuth && trustedCAFile == nil {
            throw ConfigError("--client-cert-allowed-hostname needs --client-cert-auth or --trusted-ca-file (it checks client certificates, which only they ask for)")
        }
    }
}

/// A `--listen-client-urls` entry: `https://host:port` is TLS; `http://host:port` and `host:port` are
/// plaintext. `address` is what `SocketAddress(parsing:)` takes.
struct ClientURL: Equatable {
    let address: String
    let isTLS: Bool

    init(_ url: String) {
        if url.lowercased().hasPrefix("https://") {
            address = "http://" + url.dropFirst("https://".count)
            isTLS = true
        } else {
            address = url
            isTLS = false
        }
    }
}

/// A bad command line; `description` is the message printed before exiting with status 2.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
