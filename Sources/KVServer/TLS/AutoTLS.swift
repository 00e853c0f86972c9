import COpenSSL
import Glibc

/// etcd's `--auto-tls`: when `https://` client URLs have no `--cert-file` and `--key-file`, the server
/// makes its own certificate at start — a P-256 key and a certificate it signs itself, valid for a year,
/// naming the hosts of those URLs (IP or DNS subject alternative names) — and serves it. Clients cannot
/// verify it (etcdctl and kvctl need `--insecure-skip-tls-verify`); the traffic is encrypted all the same.
///
/// With `--data-dir`, the pair is kept in `<data-dir>/fixtures/client/{cert,key}.pem` and reused by
/// later starts, as etcd does; without one it is written to a private temporary directory, loaded, and
/// removed, so it lives in memory only.
enum AutoTLS {
    static func context(config: ServerConfig, logger: Logger) throws -> TLSServerContext {
        let hosts = config.tlsListenURLs.map(host(of:))
        if let dataDir = config.dataDir {
            let directory = dataDir + "/fixtures/client"
            for path in [dataDir + "/fixtures", directory] where mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw TLSConfigError("--auto-tls: mkdir \(path): \(String(cString: strerror(errno)))")
            }
            let cert = directory + "/cert.pem", key = directory + "/key.pem"
            if access(cert, R_OK) == 0 && access(key, R_OK) == 0 {
                logger.info("--auto-tls: using the certificate made earlier, \(cert)")
            } else {
                try write(hosts: hosts, cert: cert, key: key)
                logger.info("--auto-tls: made a self-signed certificate for \(hosts.joined(separator: ", ")): \(cert)")
            }
            return try TLSServerContext(certFile: cert, keyFile: key, trustedCAFile: config.trustedCAFile,
                                        clientCertAuth: config.clientCertAuth, clientCRLFile: config.clientCRLFile,
                                        clientCertAllowedHostname: config.clientCertAllowedHostname,
                                        cipherSuites: config.cipherSuites, log: TLSServerContext.logging(to: logger))
        }
        var template = Array("/tmp/kvserver-auto-tls-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TLSConfigError("--auto-tls: mkdtemp: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        let cert = directory + "/cert.pem", key = directory + "/key.pem"
        defer {
            unlink(cert)
            unlink(key)
            rmdir(directory)
        }
        try write(hosts: hosts, cert: cert, key: key)
        logger.info("--auto-tls: made a self-signed certificate for \(hosts.joined(separator: ", ")) (in memory only: no --data-dir)")
        return try TLSServerContext(certFile: cert, keyFile: key, trustedCAFile: config.trustedCAFile,
                                    clientCertAuth: config.clientCertAuth, clientCRLFile: config.clientCRLFile,
                                    clientCertAllowedHostname: config.clientCertAllowedHostname,
                                    cipherSuites: config.cipherSuites,
                                    origin: "a self-signed certificate (--auto-tls, in memory)", reloads: false)
    }

    /// The host of a client URL (`https://[::1]:2379` → `::1`, `https://:2379` → `0.0.0.0`).
    static func host(of url: String) -> String {
        var rest = Substring(ClientURL(url).address)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        let host = rest.lastIndex(of: ":").map { rest[..<$0] } ?? rest
        return host.isEmpty ? "0.0.0.0" : String(host)
    }

    private static func write(hosts: [String], cert: String, key: String) throws(TLSConfigError) {
        var error = [CChar](repeating: 0, count: 512)
        guard kv_tls_write_self_signed(hosts.joined(separator: ","), cert, key, &error, error.count) == 1 else {
            throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
    }
}
