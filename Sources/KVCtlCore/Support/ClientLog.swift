#if canImport(Glibc)
import Glibc
#endif

/// The lines etcdctl's Go client writes to stderr, in its shapes: the zap JSON warning that names why a
/// call failed before `Error: context deadline exceeded`, and `--debug`'s listing of the settings.
enum ClientLog {
    /// zap's `ts`: `2026-12-02T04:00:13.328Z`.
    static func timestamp() -> String {
        wallClockText(utc: true, separator: "T", fractionDigits: 3) + "Z"
    }

    /// clientv3's retry warning for a call that could not reach any endpoint, with gRPC's transport
    /// error (`Error while dialing dial tcp 127.0.0.1:2379: connect: connection refused`,
    /// `authentication handshake failed: x509: certificate signed by unknown authority`) where gRPC puts it.
    static func unreachable(endpoints: [String], transportError: String) -> String {
        let error = "rpc error: code = DeadlineExceeded desc = latest balancer error: connection error: desc = \"transport: \(transportError)\""
        return "{\"level\":\"warn\",\"ts\":\"\(timestamp())\",\"caller\":\"clientv3/retry_interceptor.go:62\","
            + "\"msg\":\"retrying of unary invoker failed\",\"target\":\(GoText.jsonString("endpoint://client-kvctl/" + endpoints.map(withoutScheme).joined(separator: ","))),"
            + "\"attempt\":0,\"error\":\(GoText.jsonString(error))}"
    }

    /// gRPC's target names an endpoint without its scheme.
    static func withoutScheme(_ endpoint: String) -> String {
        guard let end = endpoint.firstRange(of: "://") else { return endpoint }
        return String(endpoint[end.upperBound...])
    }

    /// `--debug`: every global flag as the `ETCDCTL_*` variable that would set it, sorted, as etcdctl prints.
    static func settings(_ command: Command, _ flags: FlagValues) -> [String] {
        command.globalFlags.filter { $0.name != "help" }.sorted { $0.name < $1.name }.map { flag in
            let value = flag.kind == .stringSlice ? "[" + flags.list(flag.name).joined(separator: " ") + "]"
                                                  : flags.string(flag.name)
            return "ETCDCTL_\(EnvironmentFlags.variableSuffix(flag))=\(value)"
        }
    }
}
