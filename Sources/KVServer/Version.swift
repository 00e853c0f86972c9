import KVProtocol

/// Version strings the server reports.
///
/// kvserver mirrors **etcd 3.5.0**, and says so with one string, `etcdCompatible`, wherever etcd reports
/// its own version: `STATUS`'s `version` (what `etcdctl endpoint status` shows), `HELLO`'s `etcd` field,
/// `GET /version` (`{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}`) and the `etcd_server_version` metric.
/// What the HTTP side answers follows that release too (its `/health` body and reasons). `MEMBERS`
/// carries no version, as etcd's `Member` has none.
enum Version {
    /// This program's own version (`HELLO`'s `version`, `--version`).
    static let server = ProjectVersion.kvserver
    /// The etcd release whose API the server mirrors, so etcd tooling reads it as a 3.5 member.
    static let etcdCompatible = ProjectVersion.etcdAPI
    /// The cluster version etcd derives from its server version: major.minor.0 (`GET /version`'s
    /// `etcdcluster`).
    static let etcdCluster = clusterVersion(of: etcdCompatible)

    /// `3.5.2` → `3.5.0`; a string without two dots is returned as it is.
    static func clusterVersion(of version: String) -> String {
        let parts = version.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return version }
        return "\(parts[0]).\(parts[1]).0"
    }
}
