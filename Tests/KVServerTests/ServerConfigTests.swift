import KVStore
import KVWAL
import Testing
@testable import KVServer

@Suite struct ServerConfigTests {
    @Test func defaults() throws {
        let config = try ServerConfig.parse([])
        #expect(config.name == "default")
        #expect(config.listenClientURLs == ["http://127.0.0.1:2379"])
        #expect(config.effectiveAdvertiseURLs == ["http://127.0.0.1:2379"])
        #expect(config.maxRequestBytes == 1_572_864 && config.maxTxnOps == 128)
        #expect(config.effectiveQuota == 2 << 30)
        #expect(config.autoCompactionRetention == 0 && config.logLevel == .info)
    }

    static let good: [([String], @Sendable (ServerConfig) -> Bool)] = [
        (["--name=n1"], { $0.name == "n1" }),
        (["--name", "n2"], { $0.name == "n2" }),
        (["--listen-client-urls", "http://127.0.0.1:1,127.0.0.1:2"], { $0.listenClientURLs == ["http://127.0.0.1:1", "127.0.0.1:2"] }),
        (["--advertise-client-urls=http://10.0.0.1:2379"], { $0.effectiveAdvertiseURLs == ["http://10.0.0.1:2379"] }),
        (["--data-dir", "/tmp/x"], { $0.dataDir == "/tmp/x" }),
        (["--max-request-bytes=100"], { $0.maxRequestBytes == 100 }),
        (["--max-txn-ops", "5"], { $0.maxTxnOps == 5 }),
        (["--quota-backend-bytes=1048576"], { $0.effectiveQuota == 1_048_576 }),
        (["--max-connections=10"], { $0.maxConnections == 10 }),
        (["--auto-compaction-retention=1h"], { $0.autoCompactionMode == .periodic && $0.autoCompactionRetention == 3_600_000_000_000 }),
        (["--auto-compaction-retention=2"], { $0.autoCompactionRetention == 7_200_000_000_000 }),
        (["--auto-compaction-retention=1h30m"], { $0.autoCompactionRetention == 5_400_000_000_000 }),
        (["--auto-compaction-mode=revision", "--auto-compaction-retention=1000"], { $0.autoCompactionMode == .revision && $0.autoCompactionRetention == 1000 }),
        (["--auto-compaction-retention=1000", "--auto-compaction-mode=revision"], { $0.autoCompactionRetention == 1000 }),
        (["--log-level=debug"], { $0.logLevel == .debug }),
        (["--event-loops=3"], { $0.effectiveEventLoops == 3 }),
        (["--help"], { $0.showHelp }),
        (["--version"], { $0.showVersion }),
        (["-name", "single-dash"], { $0.name == "single-dash" }),
        ([], { $0.authTokenTTL == 300 && $0.authFailureDelay == 100_000_000 && $0.passwordHashIterations == PasswordHash.defaultIterations }),
        (["--auth-token-ttl=60"], { $0.authTokenTTL == 60 }),
        (["--auth-failure-delay", "250ms"], { $0.authFailureDelay == 250_000_000 }),
        (["--auth-failure-delay=1h"], { $0.authFailureDelay == ServerConfig.maxAuthFailureDelay }),
        (["--password-hash-iterations=100"], { $0.passwordHashIterations == 100 }),
        ([], { $0.protocolSniffTimeout == 5_000_000_000 && $0.httpHeaderTimeout == 10_000_000_000 }),
        (["--protocol-sniff-timeout=250ms", "--http-header-timeout", "2s"],
         { $0.protocolSniffTimeout == 250_000_000 && $0.httpHeaderTimeout == 2_000_000_000 }),
    ]

    @Test(arguments: 0..<good.count)
    func goodFlags(_ index: Int) throws {
        let (arguments, check) = Self.good[index]
        #expect(check(try ServerConfig.parse(arguments)), "\(arguments)")
    }

    static let bad: [([String], String)] = [
        (["--bogus"], "unknown flag --bogus"),
        (["--http-header-timeout=0s"], "invalid duration \"0s\" for --http-header-timeout (expected e.g. 500ms, 10s)"),
        (["--name"], "flag --name needs a value"),
        (["--name="], "--name must not be empty"),
        (["stray"], "unexpected argument \"stray\" (flags start with --)"),
        (["--listen-client-urls=https://127.0.0.1:2379"], "--listen-client-urls https://127.0.0.1:2379: TLS needs --cert-file and --key-file, or --auto-tls (or use http://)"),
        (["--listen-client-urls=https://127.0.0.1"], "invalid URL for --listen-client-urls: https://127.0.0.1: missing port; expected host:port"),
        (["--listen-client-urls=127.0.0.1"], "invalid URL for --listen-client-urls: 127.0.0.1: missing port; expected host:port"),
        (["--max-request-bytes=abc"], "invalid value \"abc\" for --max-request-bytes (expected an integer ≥ 1)"),
        (["--max-txn-ops=0"], "invalid value \"0\" for --max-txn-ops (expected an integer ≥ 1)"),
        (["--quota-backend-bytes=-1"], "invalid value \"-1\" for --quota-backend-bytes (expected an integer ≥ 0)"),
        (["--auto-compaction-mode=daily"], "invalid value \"daily\" for --auto-compaction-mode (expected periodic or revision)"),
        (["--auto-compaction-retention=1x"], "invalid value \"1x\" for --auto-compaction-retention (periodic: a duration like 1h, 30m, 90s, or plain hours)"),
        (["--auto-compaction-mode=revision", "--auto-compaction-retention=1h"], "invalid value \"1h\" for --auto-compaction-retention (revision: a number of revisions)"),
        (["--log-level=loud"], "invalid value \"loud\" for --log-level (expected debug, info, warn or error)"),
        (["--event-loops=0"], "invalid value \"0\" for --event-loops (expected an integer from 1 to 64)"),
        (["--help=yes"], "flag --help takes no value"),
        (["--auth-token-ttl=0"], "invalid value \"0\" for --auth-token-ttl (expected an integer from 1 to 2147483648)"),
        (["--auth-failure-delay=soon"], "invalid duration \"soon\" for --auth-failure-delay (expected e.g. 100ms, 1s)"),
    ]

    @Test(arguments: 0..<bad.count)
    func badFlags(_ index: Int) {
        let (arguments, message) = Self.bad[index]
        #expect(throws: ConfigError(message)) { try ServerConfig.parse(arguments) }
    }

    @Test func usageListsEveryVisibleFlag() {
        let hidden: Set<ServerConfig.Flag> = [.progressNotifyInterval, .passwordHashIterations,
                                              .protocolSniffTimeout, .httpHeaderTimeout, .tlsHandshakeTimeout, .snapshotLogBytes]
        for flag in ServerConfig.Flag.allCases where !hidden.contains(flag) {
            #expect(ServerConfig.usage.contains("--\(flag.rawValue)"), "\(flag.rawValue)")
        }
    }

    static let edges = ["-9223372036854775808", "-1", "0", "1", "9223372036854775806", "9223372036854775807",
                        "9223372036854775808", "99999999999999999999999", "00000000000000000000001"]

    /// Every numeric flag at the int64 edges (and past them): a value or a `ConfigError`, never a trap.
    @Test(arguments: ["snapshot-interval", "snapshot-count", "max-request-bytes", "max-txn-ops", "quota-backend-bytes",
                      "max-connections", "auto-compaction-retention", "event-loops", "auth-token-ttl",
                      "auth-failure-delay", "max-output-bytes", "progress-notify-interval", "password-hash-iterations"])
    func numericFlagsAtTheEdges(flag: String) {
        for value in Self.edges {
            for mode in ["periodic", "revision"] {
                do {
                    let config = try ServerConfig.parse(["--\(flag)=\(value)", "--auto-compaction-mode=\(mode)"])
                    #expect(config.maxRequestBytes <= ServerConfig.maximumRequestBytes)
                } catch {
                    #expect(error.description.contains(value), "--\(flag)=\(value): \(error)")
                }
            }
        }
    }

    static let edgeCases: [([String], Result<@Sendable (ServerConfig) -> Bool, ConfigError>)] = [
        (["--max-request-bytes=00000000000000000000001"], .success({ $0.maxRequestBytes == 1 })),
        (["--max-request-bytes=2147418111"], .success({ $0.maxRequestBytes == 2_147_418_111 })),
        (["--max-request-bytes=2147418112"], .failure(ConfigError("invalid value \"2147418112\" for --max-request-bytes (at most 2147418111)"))),
        (["--max-request-bytes=9223372036854775807"],
         .failure(ConfigError("invalid value \"9223372036854775807\" for --max-request-bytes (at most 2147418111)"))),
        (["--snapshot-interval=9223372036"], .success({ $0.snapshotInterval == 9_223_372_036_000_000_000 })),
        (["--snapshot-interval=9223372037"],
         .failure(ConfigError("invalid duration \"9223372037\" for --snapshot-interval (expected e.g. 30s, 5m, 1h, or seconds)"))),
        (["--snapshot-interval=9223372036854775807"],
         .failure(ConfigError("invalid duration \"9223372036854775807\" for --snapshot-interval (expected e.g. 30s, 5m, 1h, or seconds)"))),
        (["--snapshot-interval=2562047h"], .success({ $0.snapshotInterval == 2_562_047 * 3_600_000_000_000 })),
        (["--snapshot-interval=2562048h"],
         .failure(ConfigError("invalid duration \"2562048h\" for --snapshot-interval (expected e.g. 30s, 5m, 1h, or seconds)"))),
        (["--snapshot-interval=2562047h47m16s854ms"], .success({ $0.snapshotInterval == 9_223_372_036_854_000_000 })),
        (["--snapshot-interval=2562047h47m16s855ms"],
         .failure(ConfigError("invalid duration \"2562047h47m16s855ms\" for --snapshot-interval (expected e.g. 30s, 5m, 1h, or seconds)"))),
        (["--progress-notify-interval=99999999999999999999s"],
         .failure(ConfigError("invalid duration \"99999999999999999999s\" for --progress-notify-interval"))),
        (["--auto-compaction-retention=9999999999999h"],
         .failure(ConfigError("invalid value \"9999999999999h\" for --auto-compaction-retention (periodic: a duration like 1h, 30m, 90s, or plain hours)"))),
        (["--auth-failure-delay=9223372036854775807s"],
         .failure(ConfigError("invalid duration \"9223372036854775807s\" for --auth-failure-delay (expected e.g. 100ms, 1s)"))),
    ]

    @Test(arguments: 0..<edgeCases.count)
    func flagEdges(_ index: Int) {
        let (arguments, expected) = Self.edgeCases[index]
        switch expected {
        case .success(let check):
            #expect((try? ServerConfig.parse(arguments)).map(check) == true, "\(arguments)")
        case .failure(let error):
            #expect(throws: error, "\(arguments)") { try ServerConfig.parse(arguments) }
        }
    }
}

extension ServerConfigTests {
    @Test func walSyncModes() throws {
        #expect(try ServerConfig.parse(["--data-dir", "d"]).walSync == .always)
        #expect(try ServerConfig.parse(["--data-dir", "d", "--wal-sync", "interval=500ms"]).walSync == .interval(nanoseconds: 500_000_000))
        #expect(try ServerConfig.parse(["--data-dir", "d", "--wal-sync=none"]).walSync == WALSyncMode.none)
        let bad = try #require(throws: ConfigError.self) { try ServerConfig.parse(["--data-dir", "d", "--wal-sync", "sometimes"]) }
        #expect("\(bad)".contains("invalid value \"sometimes\" for --wal-sync"))
        let alone = try #require(throws: ConfigError.self) { try ServerConfig.parse(["--wal-sync", "always"]) }
        #expect("\(alone)".contains("--wal-sync needs --data-dir"))
    }
}
