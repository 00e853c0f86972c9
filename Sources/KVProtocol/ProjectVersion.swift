/// The versions the project reports, defined once for the server and kvctl.
public enum ProjectVersion {
    /// kvserver's (and kvctl's) own release.
    public static let kvserver = "0.1.0"
    /// The etcd server release whose API kvserver implements: what `STATUS`, gRPC `Status`,
    /// `GET /version` and `HELLO` report, as etcd reports its own version.
    public static let etcdAPI = "3.5.0"
    /// The etcdctl release whose commands, flags and output kvctl follows (its `version` line, and the
    /// client `API version: 3.4` it prints, are etcdctl 3.4's).
    public static let etcdctl = "3.4.23"
}
