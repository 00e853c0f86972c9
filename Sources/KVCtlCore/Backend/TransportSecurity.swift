import KVClient

/// Whether and how a run speaks TLS, from etcdctl's global flags (or make-mirror's `--dest-*` ones).
///
/// etcdctl 3.4's meanings: `--cacert` (the CA bundle the server's certificate must chain to; the
/// system's trust store without it), `--cert` and `--key` (the client's certificate, both or neither),
/// `--insecure-skip-tls-verify` (accept any server certificate, for any host), and
/// `--insecure-transport=false` (TLS although no file is given). Any of them makes a bare `host:port`
/// endpoint TLS; an `https://` endpoint is TLS in any case; an `http://` one is plaintext.
///
/// Where etcdctl would quietly do without TLS, kvctl refuses instead, so that a TLS flag never does
/// nothing: a TLS flag with an `http://` endpoint (etcdctl speaks plaintext to it), and
/// `--insecure-skip-tls-verify` alone with a bare endpoint (etcdctl ignores it; here it means TLS).
public struct TransportSecurity: Sendable {
    /// The loaded TLS settings; nil when no flag asks for TLS (an `https://` endpoint then gets the
    /// system's trust store, as in etcdctl).
    public let tls: ClientTLS?

    public static let plaintext = TransportSecurity(tls: nil)

    public init(tls: ClientTLS?) { self.tls = tls }

    /// Reads the settings and loads them (OpenSSL is loaded only here, only when TLS is asked for).
    /// - Throws: etcdctl's errors, exit 128: `open ca.pem: no such file or directory`,
    ///   `KeyFile and CertFile must both be present[key: k.pem, cert: ]`,
    ///   `tls: private key does not match public key`; and kvctl's refusal of TLS flags with `http://`.
    static func resolve(caFile: String, certFile: String, keyFile: String, skipVerify: Bool, insecureTransport: Bool,
                        endpoints: [String], flagPrefix: String = "--") throws(CtlError) -> TransportSecurity {
        var asked: [String] = []
        if !caFile.isEmpty { asked.append("\(flagPrefix)cacert") }
        if !certFile.isEmpty { asked.append("\(flagPrefix)cert") }
        if !keyFile.isEmpty { asked.append("\(flagPrefix)key") }
        if skipVerify { asked.append("--insecure-skip-tls-verify") }
        if !insecureTransport { asked.append("\(flagPrefix)insecure-transport=false") }
        guard !asked.isEmpty else { return .plaintext }
        if let plain = endpoints.first(where: { $0.lowercased().hasPrefix("http://") }) {
            throw .badArgs("\(asked.joined(separator: ", ")) \(asked.count == 1 ? "asks" : "ask") for TLS, but endpoint \(plain) is plaintext (http://); use https:// or leave out the TLS flags")
        }
        let configuration = ClientTLS.Configuration(caFile: caFile.isEmpty ? nil : caFile,
                                                    certFile: certFile.isEmpty ? nil : certFile,
                                                    keyFile: keyFile.isEmpty ? nil : keyFile, skipVerify: skipVerify)
        do {
            return TransportSecurity(tls: try ClientTLS(configuration))
        } catch {
            throw .badArgs(error.description)
        }
    }

    /// The global flags' settings.
    static func resolve(_ flags: FlagValues, endpoints: [String]) throws(CtlError) -> TransportSecurity {
        try resolve(caFile: flags.string("cacert"), certFile: flags.string("cert"), keyFile: flags.string("key"),
                    skipVerify: flags.bool("insecure-skip-tls-verify"), insecureTransport: flags.bool("insecure-transport"),
                    endpoints: endpoints)
    }
}
