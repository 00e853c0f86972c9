#if canImport(Glibc)
import Glibc
#endif

/// The lines etcdctl's Go client writes to stderr, in its shapes: the zap JSON warning that names why a
/// call failed before `Error: context deadline exceeded`, and `--debug`'s listing of the settings.
enum ClientLog {
    /// zap's `ts`: `2026-12-02T04:00:13.328Z`.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(ts.tv_nsec / 1_000_000, 3))Z"
    }

    /// clientv3's retry warning for a call that could not reach any endpoint, with the dial error
    /// (`dial tcp 127.0.0.1:2379: connect: connection refused`) where gRPC puts it.
    static func unreachable(endpoints: [String], dialError: String) -> String {
        let error = "rpc error: code = DeadlineExceeded desc = latest balancer error: connection error: desc = \"transport: Error while dialing \(dialError)\""
        return "{\"level\":\"warn\",\"ts\":\"\(timestamp())\",\"caller\":\"clientv3/retry_interceptor.go:62\","
            + "\"msg\":\"retrying of unary invoker failed\",\"target\":\(GoText.jsonString("endpoint://client-kvctl/" + endpoints.joined(separator: ","))),"
            + "\"attempt\":0,\"error\":\(GoText.jsonString(error))}"
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

/// kvctl speaks plaintext only. Until it speaks TLS, a TLS setting or an `https://` endpoint is refused
/// before any connection, so nothing meant to be encrypted is ever sent in the clear.
enum TLSRefusal {
    /// etcdctl's own error where it would have one (an unreadable file, a certificate without its key),
    /// else kvctl's refusal; nil when the run asks for no TLS.
    static func check(_ flags: FlagValues, endpoints: [String]) -> CtlError? {
        let cacert = flags.string("cacert"), cert = flags.string("cert"), key = flags.string("key")
        for path in [cacert, cert, key] where !path.isEmpty && access(path, R_OK) != 0 {
            return .badArgs("open \(path): \(errno == ENOENT ? "no such file or directory" : "permission denied")")
        }
        if cert.isEmpty != key.isEmpty {
            return .badArgs("KeyFile and CertFile must both be present[key: \(key), cert: \(cert)]")
        }
        var asked: [String] = []
        if !cacert.isEmpty { asked.append("--cacert") }
        if !cert.isEmpty { asked.append("--cert/--key") }
        if flags.bool("insecure-skip-tls-verify") { asked.append("--insecure-skip-tls-verify") }
        if !flags.bool("insecure-transport") { asked.append("--insecure-transport=false") }
        asked += endpoints.filter { $0.hasPrefix("https://") }
        guard !asked.isEmpty else { return nil }
        return .badArgs("TLS is not supported by kvctl yet (\(asked.joined(separator: ", "))); refusing to connect in plaintext")
    }
}
