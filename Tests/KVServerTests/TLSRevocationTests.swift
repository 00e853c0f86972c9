import Glibc
import TestSupport
import Testing
@testable import KVServer

/// `--client-crl-file`: a client certificate the CRL lists is refused at the TLS handshake, as etcd
/// refuses it; one it does not list is served; a CRL past its next update still revokes, and a CA the
/// file has no CRL of refuses no one (etcd checks serial numbers only); a missing or bad file stops
/// the start with a message naming it.
@Suite(.serialized) struct TLSRevocationTests {
    /// A server requiring client certificates from `trusted`, with `crl` as `--client-crl-file`.
    private func server(_ files: TLSTestFiles, trusted: String? = nil, crl: String, logFD: Int32? = nil) throws -> TestServer {
        try TestServer({ config in
            config.listenClientURLs = ["https://127.0.0.1:0"]
            config.certFile = files.cert
            config.keyFile = files.key
            config.clientCertAuth = true
            config.trustedCAFile = trusted ?? files.ca
            config.clientCRLFile = crl
        }, logFD: logFD)
    }

    /// `GET a` on the line protocol through `openssl s_client` presenting `cert`: what the server
    /// answered, or openssl's report of the refusal.
    private func get(_ server: TestServer, _ files: TLSTestFiles, cert: String, key: String) throws -> ShellCommand {
        try ShellCommand.run("openssl s_client -quiet -CAfile \(files.ca) -cert \(cert) -key \(key) -connect \(server.endpoint) 2>&1",
                             input: "GET a\n", seconds: 3)
    }

    private func files() throws -> TLSTestFiles? {
        guard let files = try TLSTestFiles.make(for: "TLSRevocationTests") else { return nil }
        do {
            try files.revokeClient()
        } catch {
            files.remove()
            throw error
        }
        return files
    }

    @Test func revokedClientIsRefusedAtTheHandshake() throws {
        guard let files = try files() else { return }
        defer { files.remove() }
        let logPath = files.directory + "/server.log"
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(logFD >= 0)
        defer { close(logFD) }
        let server = try server(files, crl: files.crl, logFD: logFD)
        defer { server.stop() }
        _ = try server.store.put(b("a"), b("1"))
        let served = try get(server, files, cert: files.clientCert, key: files.clientKey)
        #expect(served.output.contains("KV a 1"), "\(served.output)")
        let refused = try get(server, files, cert: files.revokedCert, key: files.revokedKey)
        #expect(!refused.output.contains("KV a 1") && refused.status != 124, "\(refused.output)")
        #expect(refused.output.contains("certificate revoked"), "\(refused.output)")
        // The server's log says why (waited for: the alert may reach the client before the line is written).
        let reason = "failed: certificate verify failed: certificate revoked; closing"
        var log = ""
        for _ in 0..<40 {
            log = try ShellCommand.run("cat \(logPath)").output
            if log.contains(reason) { break }
            usleep(50_000)
        }
        #expect(log.contains(reason), "\(log)")

        if ShellCommand.succeeds("command -v curl") {
            let curl = "curl -sS --http1.1 --max-time 5 --cacert \(files.ca) https://\(server.endpoint)/health"
            let good = try ShellCommand.run("\(curl) --cert \(files.clientCert) --key \(files.clientKey)", seconds: 10)
            #expect(good.output == #"{"health":"true","reason":""}"#, "\(good.output)")
            let revoked = try ShellCommand.run("\(curl) --cert \(files.revokedCert) --key \(files.revokedKey)", seconds: 10)
            #expect(revoked.status != 0 && !revoked.output.contains("health"), "\(revoked.output)")
        } else {
            print("TLSRevocationTests: curl part skipped — curl is not installed")
        }
        if ShellCommand.succeeds("command -v etcdctl") {
            let ctl = "ETCDCTL_API=3 etcdctl --cacert \(files.ca) --endpoints=https://\(server.endpoint) --command-timeout=3s --dial-timeout=1s"
            let good = try ShellCommand.run("\(ctl) --cert \(files.clientCert) --key \(files.clientKey) get a --print-value-only", seconds: 20)
            #expect(good.output == "1\n", "\(good.output)")
            let revoked = try ShellCommand.run("\(ctl) --cert \(files.revokedCert) --key \(files.revokedKey) get a", seconds: 20)
            #expect(revoked.status != 0, "\(revoked.output)")
        } else {
            print("TLSRevocationTests: etcdctl part skipped — etcdctl is not installed")
        }
    }

    /// A CRL past its next update still lists what it lists (etcd never looks at its dates).
    @Test func staleCRLStillRevokes() throws {
        guard let files = try files() else { return }
        defer { files.remove() }
        let server = try server(files, crl: files.staleCRL)
        defer { server.stop() }
        _ = try server.store.put(b("a"), b("1"))
        let served = try get(server, files, cert: files.clientCert, key: files.clientKey)
        #expect(served.output.contains("KV a 1"), "\(served.output)")
        let refused = try get(server, files, cert: files.revokedCert, key: files.revokedKey)
        #expect(refused.output.contains("certificate revoked") && !refused.output.contains("KV a 1"), "\(refused.output)")
    }

    /// Two trusted CAs and a CRL of one: the other CA's clients are served, as on etcd.
    @Test func caWithoutCRLInTheFileRefusesNoOne() throws {
        guard let files = try files() else { return }
        defer { files.remove() }
        let bundle = files.directory + "/both-cas.pem"
        #expect(try ShellCommand.run("cat \(files.ca) \(files.rogueCA) > \(bundle)").status == 0)
        let server = try server(files, trusted: bundle, crl: files.crl)
        defer { server.stop() }
        _ = try server.store.put(b("a"), b("1"))
        let otherCA = try get(server, files, cert: files.rogueCert, key: files.rogueKey)
        #expect(otherCA.output.contains("KV a 1"), "\(otherCA.output)")
        let refused = try get(server, files, cert: files.revokedCert, key: files.revokedKey)
        #expect(refused.output.contains("certificate revoked"), "\(refused.output)")
    }

    @Test func badCRLFilesAreRefusedAtStart() throws {
        guard let files = try files() else { return }
        defer { files.remove() }
        let damaged = files.directory + "/damaged-crl.pem"
        #expect(try ShellCommand.run("printf -- '-----BEGIN X509 CRL-----\\nnot base64 at all\\n-----END X509 CRL-----\\n' > \(damaged)").status == 0)
        let unreadable = files.directory + "/unreadable-crl.pem"
        #expect(try ShellCommand.run("cp \(files.crl) \(unreadable) && chmod 000 \(unreadable)").status == 0)
        var cases: [(crl: String, message: String)] = [
            ("/nonexistent/crl.pem", "--client-crl-file: open /nonexistent/crl.pem: No such file or directory"),
            (files.directory + "/ext.cnf", "cannot load CRL file \(files.directory)/ext.cnf: no PEM CRL in it"),
            (files.ca, "cannot load CRL file \(files.ca): no PEM CRL in it"),
            (damaged, "cannot load CRL file \(damaged): "),
        ]
        // Root reads any file: the mode 000 case only means something for other users.
        if geteuid() != 0 {
            cases.append((unreadable, "--client-crl-file: open \(unreadable): Permission denied"))
        }
        for (crl, message) in cases {
            var config = ServerConfig()
            config.listenClientURLs = ["https://127.0.0.1:0"]
            config.certFile = files.cert
            config.keyFile = files.key
            config.trustedCAFile = files.ca
            config.clientCRLFile = crl
            let server = Server(config: config, logger: Logger(level: .error, fd: -1))
            do {
                _ = try server.start()
                server.stop()
                Issue.record("started with --client-crl-file \(crl)")
            } catch {
                #expect(error is TLSConfigError, "\(error)")
                #expect("\(error)".hasPrefix(message), "\(error)")
            }
        }
        // Other PEM blocks around the CRLs (a CA certificate before it) are skipped.
        let both = files.directory + "/crl-and-cert.pem"
        #expect(try ShellCommand.run("cat \(files.ca) \(files.crl) > \(both)").status == 0)
        let server = try server(files, crl: both)
        server.stop()
    }
}
