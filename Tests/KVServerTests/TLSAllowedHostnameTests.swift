import Glibc
import TestSupport
import Testing
@testable import KVServer

/// `--client-cert-allowed-hostname`: a client certificate the CA signed must also name the host among
/// its subject alternative names (DNS or IP), as Go's `VerifyHostname` checks it for etcd: not by its
/// Common Name. The client here is curl presenting `TLSTestFiles`' certificates: `wrongHostCert` names
/// DNS elsewhere.example and IP 10.9.9.9, `cert` IP 127.0.0.1 and DNS localhost, `clientCert` nothing
/// but CN=alice.
@Suite(.serialized) struct TLSAllowedHostnameTests {
    /// `/health` over TLS presenting `cert` (with `key`): curl's exit status and output.
    private func health(_ server: TestServer, _ files: TLSTestFiles, cert: String, key: String) throws -> ShellCommand {
        try ShellCommand.run("curl -sS --http1.1 --max-time 5 --cacert \(files.ca) --cert \(cert) --key \(key) https://\(server.endpoint)/health",
                             seconds: 10)
    }

    @Test func clientCertificateMustNameTheHost() throws {
        guard ShellCommand.succeeds("command -v curl") else { return print("TLSAllowedHostnameTests: skipped — curl is not installed") }
        guard let files = try TLSTestFiles.make(for: "TLSAllowedHostnameTests") else { return }
        defer { files.remove() }
        let healthy = #"{"health":"true","reason":""}"#
        // host allowed, certificates served, certificates refused
        let cases: [(String, [(String, String)], [(String, String)])] = [
            ("elsewhere.example", [(files.wrongHostCert, files.key)], [(files.clientCert, files.clientKey), (files.cert, files.key)]),
            ("ELSEWHERE.example.", [(files.wrongHostCert, files.key)], [(files.cert, files.key)]),
            ("10.9.9.9", [(files.wrongHostCert, files.key)], [(files.cert, files.key)]),
            ("[127.0.0.1]", [(files.cert, files.key)], [(files.wrongHostCert, files.key)]),
            // The Common Name is not a name the certificate is for.
            ("alice", [], [(files.clientCert, files.clientKey)]),
        ]
        for (host, served, refused) in cases {
            let logPath = files.directory + "/server.log"
            let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            try #require(logFD >= 0)
            defer { close(logFD) }
            let server = try TestServer({ config in
                config.listenClientURLs = ["https://127.0.0.1:0"]
                config.certFile = files.cert
                config.keyFile = files.key
                config.trustedCAFile = files.ca
                config.clientCertAllowedHostname = host
            }, logFD: logFD)
            defer { server.stop() }
            for (cert, key) in served {
                let run = try health(server, files, cert: cert, key: key)
                #expect(run.output == healthy, "\(host): \(cert): \(run.output)")
            }
            for (cert, key) in refused {
                let run = try health(server, files, cert: cert, key: key)
                #expect(run.status != 0 && !run.output.contains("health"), "\(host): \(cert): \(run.output)")
            }
            if !refused.isEmpty {
                let reason = host.first?.isNumber == true || host.hasPrefix("[") ? "IP address mismatch" : "hostname mismatch"
                var log = ""
                for _ in 0..<40 {
                    log = try ShellCommand.run("cat \(logPath)").output
                    if log.contains("certificate verify failed: \(reason)") { break }
                    usleep(50_000)
                }
                #expect(log.contains("certificate verify failed: \(reason)"), "\(host): \(log)")
            }
        }
    }

    @Test func hostsAreComparedAsGoComparesThem() {
        #expect(TLSServerContext.hostToVerify("Client.Example.") == "client.example")
        #expect(TLSServerContext.hostToVerify("[::1]") == "::1")
        #expect(TLSServerContext.hostToVerify("10.0.0.1") == "10.0.0.1")
    }
}
