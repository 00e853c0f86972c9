/// etcd 3.4's server flags, so that etcd's unit files and scripts start kvserver unchanged.
///
/// Flags kvserver has under the same name are applied by `ServerConfig.parse` (`--name`, `--data-dir`,
/// `--listen-client-urls`, `--snapshot-count`, `--quota-backend-bytes`, …). Of the rest:
/// - cluster flags are accepted when they describe this one member (`--initial-cluster` naming several
///   members is refused);
/// - `--cert-file` and `--key-file` are kvserver's own flags (`ServerConfig.Flag`): TLS on `https://`
///   client URLs; `--trusted-ca-file` and `--client-cert-auth` require client certificates there,
///   `--client-crl-file` refuses the revoked ones and `--client-cert-allowed-hostname` those that do
///   not name its host. Every client TLS flag of etcd is served (one ignored would leave a secure setup
///   silently less secure);
/// - everything else (raft timing, WAL, peer TLS, proxy, logging back ends, `--experimental-*`) means
///   nothing for one in-memory member: accepted, and listed once in the log as ignored.
enum EtcdFlags {
    /// etcd's boolean flags: they take no separate value (`--enable-v2` or `--enable-v2=true`).
    static let booleans: Set<String> = [
        "initial-election-tick-advance", "strict-reconfig-check", "pre-vote", "enable-v2", "client-cert-auth",
        "auto-tls", "peer-client-cert-auth", "peer-auto-tls", "enable-pprof", "experimental-initial-corrupt-check",
        "experimental-enable-v2v3", "experimental-enable-lease-checkpoint", "experimental-peer-skip-client-san-verification",
        "force-new-cluster", "debug",
    ]

    /// Cluster membership flags, checked against the single member (`ServerConfig.checkCluster`).
    static let cluster: Set<String> = [
        "listen-peer-urls", "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state", "initial-cluster-token",
    ]

    /// Client TLS flags kvserver serves, with etcd's syntax (`--client-cert-auth` and `--auto-tls` are boolean).
    static let clientCertificates: Set<String> = [
        "trusted-ca-file", "client-cert-auth", "client-crl-file", "client-cert-allowed-hostname", "auto-tls", "cipher-suites",
    ]

    /// etcd flags accepted and ignored.
    static let ignored: Set<String> = [
        "wal-dir", "heartbeat-interval", "election-timeout", "initial-election-tick-advance", "max-snapshots", "max-wals",
        "backend-batch-interval", "backend-batch-limit", "grpc-keepalive-min-time", "grpc-keepalive-interval",
        "grpc-keepalive-timeout", "discovery", "discovery-fallback", "discovery-proxy", "discovery-srv", "discovery-srv-name",
        "strict-reconfig-check", "pre-vote", "enable-v2", "peer-cert-file", "peer-key-file", "peer-client-cert-auth",
        "peer-trusted-ca-file", "peer-cert-allowed-cn", "peer-cert-allowed-hostname", "peer-auto-tls", "peer-crl-file",
        "cors", "host-whitelist", "auth-token", "bcrypt-cost", "enable-pprof", "metrics", "listen-metrics-urls", "logger",
        "log-outputs", "proxy", "proxy-failure-wait", "proxy-refresh-interval", "proxy-dial-timeout", "proxy-write-timeout",
        "proxy-read-timeout", "force-new-cluster", "log-package-levels", "config-file",
    ]

    static func isIgnored(_ name: String) -> Bool {
        ignored.contains(name) || (name.hasPrefix("experimental-") && name != "experimental-watch-progress-notify-interval")
    }

    static func isKnown(_ name: String) -> Bool {
        cluster.contains(name) || clientCertificates.contains(name) || isIgnored(name)
            || booleans.contains(name)
    }

    /// `ETCD_*` variables as etcd reads them (`ETCD_DATA_DIR` for `--data-dir`), as `--flag=value`
    /// arguments to put before the command line's (so a flag given there wins). Variables that name no
    /// flag are returned apart, for a warning, as etcd warns about them.
    static func arguments(fromEnvironment environment: [String: String]) -> (arguments: [String], unknown: [String]) {
        var arguments: [String] = [], unknown: [String] = []
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("ETCD_") {
            let name = String(variable.dropFirst(5).lowercased().map { $0 == "_" ? "-" : $0 })
            if ServerConfig.Flag(rawValue: name) != nil || isKnown(name) || name == "experimental-watch-progress-notify-interval" {
                if name == "help" || name == "version" { continue }
                arguments.append("--\(name)=\(value)")
            } else if !["ETCD_UNSUPPORTED_ARCH"].contains(variable) {
                unknown.append(variable)
            }
        }
        return (arguments, unknown)
    }
}

extension ServerConfig {
    /// Checks the cluster flags against the one member this server is (etcd's wording where etcd has one).
    mutating func checkCluster() throws(ConfigError) {
        if let state = initialClusterState, state != "new" && state != "existing" {
            throw ConfigError("unexpected initial cluster state \"\(state)\" for --initial-cluster-state (expected new or existing)")
        }
        guard let initialCluster else { return }
        let members = initialCluster.split(separator: ",", omittingEmptySubsequences: true).map { entry in
            String(entry.split(separator: "=", maxSplits: 1).first ?? "")
        }
        let names = Array(Set(members)).sorted()
        guard names.count <= 1 else {
            throw ConfigError("--initial-cluster names \(names.count) members (\(names.joined(separator: ", "))): kvserver is a single in-memory member; give it only this member (\(name)=<peer url>)")
        }
        if let only = names.first, only != name {
            throw ConfigError("couldn't find local name \"\(name)\" in the initial cluster configuration")
        }
    }
}
