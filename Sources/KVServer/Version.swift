/// Version strings the server reports.
enum Version {
    /// This program's version (`HELLO`, `--version`).
    static let server = "0.1.0"
    /// The etcd API version the server mirrors (`STATUS`), so etcd tooling reads it as a 3.5 member.
    static let etcdCompatible = "3.5.0"
}
