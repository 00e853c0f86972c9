import Glibc
import TestSupport
import Testing
@testable import KVServer

/// etcd 3.4's server flags and ETCD_* variables (issue 17).
@Suite struct EtcdFlagsTests {
    /// The flags etcd's own unit files and our scripts/compat-etcd.sh start etcd with.
    @Test func etcdUnitFileFlagsAreAccepted() throws {
        let config = try ServerConfig.parse([
            "--name", "default", "--data-dir", "/var/lib/etcd", "--listen-client-urls", "http://127.0.0.1:2379",
            "--advertise-client-urls", "http://127.0.0.1:2379", "--listen-peer-urls", "http://127.0.0.1:2380",
            "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster", "default=http://127.0.0.1:2380",
            "--initial-cluster-state", "new", "--initial-cluster-token", "etcd-cluster-1",
            "--listen-metrics-urls", "http://127.0.0.1:2381", "--snapshot-count", "10000", "--heartbeat-interval", "100",
            "--election-timeout=1000", "--logger", "zap", "--log-outputs", "stderr", "--enable-v2",
            "--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval", "5s",
            "--auto-compaction-retention", "1", "--quota-backend-bytes", "8589934592", "--cert-file=", "--client-cert-auth=false",
        ])
        #expect(config.name == "default" && config.dataDir == "/var/lib/etcd" && config.snapshotCount == 10000)
        #expect(config.progressNotifyInterval == 5_000_000_000)
        #expect(config.ignoredEtcdFlags == ["--listen-metrics-urls", "--heartbeat-interval", "--election-timeout", "--logger",
                                            "--log-outputs", "--enable-v2", "--experimental-initial-corrupt-check"])
        #expect(try ServerConfig.parse(["--debug"]).logLevel == .debug)
        let tls = try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:2379,http://127.0.0.1:2378",
                                          "--cert-file", "/etc/etcd/server.crt", "--key-file=/etc/etcd/server.key"])
        #expect(tls.certFile == "/etc/etcd/server.crt" && tls.keyFile == "/etc/etcd/server.key")
        #expect(tls.tlsListenURLs == ["https://127.0.0.1:2379"])
        #expect(!tls.clientCertAuth && tls.trustedCAFile == nil)
        let mutual = try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "c", "--key-file", "k",
                                             "--client-cert-auth", "--trusted-ca-file", "/etc/etcd/ca.crt"])
        #expect(mutual.clientCertAuth && mutual.trustedCAFile == "/etc/etcd/ca.crt")
        let revoking = try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "c", "--key-file", "k",
                                               "--trusted-ca-file", "/etc/etcd/ca.crt", "--client-crl-file=/etc/etcd/crl.pem"])
        #expect(revoking.clientCRLFile == "/etc/etcd/crl.pem")
        #expect(try ServerConfig.parse(["--client-crl-file="]).clientCRLFile == nil)
        let hostname = try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "c", "--key-file", "k",
                                               "--client-cert-auth", "--client-cert-allowed-hostname", "client.example"])
        #expect(hostname.clientCertAllowedHostname == "client.example")
        #expect(try ServerConfig.parse(["-h"]).showHelp)
    }

    @Test func clusterFlagsMustDescribeOneMember() {
        let cases: [([String], String)] = [
            (["--initial-cluster", "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380"],
             "--initial-cluster names 2 members (a, b): kvserver is a single in-memory member; give it only this member (default=<peer url>)"),
            (["--name", "x", "--initial-cluster", "default=http://10.0.0.1:2380"],
             "couldn't find local name \"x\" in the initial cluster configuration"),
            (["--initial-cluster-state", "joining"],
             "unexpected initial cluster state \"joining\" for --initial-cluster-state (expected new or existing)"),
            (["--cert-file", "/etc/etcd/server.crt"], "--cert-file given without --key-file"),
            (["--key-file", "/etc/etcd/server.key"], "--key-file given without --cert-file"),
            (["--listen-client-urls", "https://127.0.0.1:2379"],
             "--listen-client-urls https://127.0.0.1:2379: TLS needs --cert-file and --key-file, or --auto-tls (or use http://)"),
            (["--client-cert-auth"],
             "--client-cert-auth needs an https:// URL in --listen-client-urls (client certificates are checked during the TLS handshake)"),
            (["--trusted-ca-file", "/etc/etcd/ca.crt"],
             "--trusted-ca-file needs an https:// URL in --listen-client-urls (client certificates are checked during the TLS handshake)"),
            (["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "c", "--key-file", "k", "--client-crl-file", "crl.pem"],
             "--client-crl-file needs --client-cert-auth or --trusted-ca-file (it revokes client certificates, which only they ask for)"),
            (["--listen-client-urls", "https://127.0.0.1:2379", "--cert-file", "c", "--key-file", "k",
              "--client-cert-allowed-hostname", "client.example"],
             "--client-cert-allowed-hostname needs --client-cert-auth or --trusted-ca-file (it checks client certificates, which only they ask for)"),
            (["--client-cert-auth=maybe"], "invalid boolean value \"maybe\" for --client-cert-auth (expected true or false)"),
            (["--auto-tls"], "--auto-tls needs an https:// URL in --listen-client-urls (its certificate is served there)"),
            (["--auto-tls=maybe"], "invalid boolean value \"maybe\" for --auto-tls (expected true or false)"),
            // etcd 3.4 knows Go's TLS 1.2 names only (TLS 1.3's suites are not configurable in Go).
            (["--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"], "unexpected TLS cipher suite \"TLS_AES_128_GCM_SHA256\""),
            (["--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"], "--cipher-suites needs an https:// URL in --listen-client-urls"),
            (["--bogus-flag", "1"], "unknown flag --bogus-flag"),
        ]
        for (arguments, message) in cases {
            #expect(throws: ConfigError(message), "\(arguments)") { try ServerConfig.parse(arguments) }
        }
    }

    @Test func etcdEnvironmentVariablesSetFlagsAndTheCommandLineWins() throws {
        let environment = ["ETCD_NAME": "from-env", "ETCD_DATA_DIR": "/env/dir", "ETCD_HEARTBEAT_INTERVAL": "100",
                           "ETCD_SNAPSHOT_COUNT": "5", "ETCD_BOGUS": "1", "HOME": "/root"]
        let config = try ServerConfig.parse(["--data-dir", "/flag/dir"], environment: environment)
        #expect(config.name == "from-env")
        #expect(config.dataDir == "/flag/dir")
        #expect(config.snapshotCount == 5)
        #expect(config.ignoredEtcdFlags == ["--heartbeat-interval"])
        #expect(EtcdFlags.arguments(fromEnvironment: environment).unknown == ["ETCD_BOGUS"])
    }
}

/// The real binary, as a unit file or script sees it: readiness lines, the last line after the final
/// snapshot, a bind error naming the address, the contrib unit's flags.
@Suite(.serialized) struct ServerLifecycleLogTests {
    private func temporaryPath(_ name: String) -> String {
        var template = Array("/tmp/kvserver-\(name)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    private func lines(of path: String) -> [String] {
        (try? ShellCommand.run("cat '\(path)'").output)?.split(separator: "\n").map(String.init) ?? []
    }

    @Test func readinessThenStoppedAfterTheFinalSnapshot() throws {
        let dir = temporaryPath("life")
        let log = dir + "/log"
        let server = try ServerProcess(arguments: ["--data-dir", dir + "/data", "--initial-cluster-state", "new",
                                                   "--heartbeat-interval", "100"], logFile: log)
        var logged = lines(of: log)
        for _ in 0..<200 where !logged.contains(where: { $0.hasSuffix("ready to serve client requests") }) {
            usleep(10_000)
            logged = lines(of: log)
        }
        #expect(logged.contains { $0.contains(" published {Name:default ClientURLs:[") && $0.contains("]} to cluster ") })
        #expect(logged.contains { $0.hasSuffix("ready to serve client requests") })
        #expect(logged.contains { $0.hasSuffix("ignoring etcd flags that mean nothing for a single in-memory member: --heartbeat-interval") })
        #expect(server.terminate() == 0)
        logged = lines(of: log)
        let saved = try #require(logged.firstIndex { $0.contains("saved snapshot (shutdown)") })
        #expect(logged[saved].contains(" live keys, ") && logged[saved].contains(" leases (total keys "))
        #expect(logged.last?.hasSuffix(" stopped") == true, "\(logged.suffix(3))")
    }

    @Test func aBindErrorNamesTheAddress() throws {
        let first = try ServerProcess(arguments: [])
        defer { _ = first.terminate() }
        let second = try ShellCommand.run("'\(productsDirectory())/kvserver' --listen-client-urls \(first.endpoint)", seconds: 10)
        #expect(second.status == 1)
        #expect(second.output.contains("cannot start: listen tcp \(first.endpoint): bind: "), "\(second.output)")
    }

    /// contrib/kvserver.service's ExecStart flags parse, and systemd finds the unit well-formed.
    @Test func contribUnitStartsKvserver() throws {
        let unit = try ShellCommand.run("cat '\(ShellCommand.repositoryRoot)/contrib/kvserver.service'").output
        let exec = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        let words = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/bin/kvserver")
        let config = try ServerConfig.parse(Array(words.dropFirst()))
        #expect(config.dataDir == "/var/lib/kvserver")
        #expect(unit.contains("Restart=on-failure") && unit.contains("StateDirectory=kvserver"))
    }
}
