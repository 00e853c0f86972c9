import Glibc
import KVClient
import KVPosix
import KVStore
import TestSupport
import Testing
@testable import KVServer

/// Certificate rotation without a restart, as etcd reloads its certificates for new connections: the
/// files replaced under a running server are served to the next connections (after at most the
/// reload check interval), connections already open keep working, and files that do not load leave
/// the previous certificate in service with a warning in the log.
@Suite struct TLSReloadTests {
    /// Replaces `path` with `source`'s contents the way deployment tools do: a new file renamed over it.
    static func install(_ source: String, at path: String) throws {
        let run = try ShellCommand.run("cp '\(source)' '\(path).new' && mv -f '\(path).new' '\(path)'")
        try #require(run.status == 0, "\(run.output)")
    }

    static func connect(_ address: String, trusting ca: String) -> Result<KVClient, ClientError> {
        Result { () throws(ClientError) in
            try KVClient(endpoints: ["https://\(address)"], dialTimeout: .seconds(3),
                         tls: try ClientTLS(ClientTLS.Configuration(caFile: ca)))
        }
    }

    /// Waits past the reload check interval, so the next connection looks at the files again.
    static func waitForCheck() { usleep(UInt32(TLSServerContext.reloadCheckInterval / 1000) + 200_000) }

    /// A served certificate that expires (and is not replaced) is warned about once, naming its end.
    @Test func anExpiredCertificateIsWarnedAbout() throws {
        guard let files = try TLSTestFiles.make(for: "TLSReloadTests") else { return }
        defer { files.remove() }
        try files.makeShortLivedServer(seconds: 3)
        let log = files.directory + "/expiry.log"
        let logFD = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        try #require(logFD >= 0)
        defer { Glibc.close(logFD) }
        var config = ServerConfig()
        config.listenClientURLs = ["https://127.0.0.1:0"]
        config.certFile = files.shortLivedCert
        config.keyFile = files.key
        let server = Server(config: config, logger: Logger(level: .info, fd: logFD))
        let address = try server.start()[0].description
        defer { server.stop() }
        let valid = try Self.connect(address, trusting: files.ca).get()
        valid.close()
        // Past its end (second resolution) and the check interval: new connections are refused by the
        // client, and the server says why, once.
        usleep(4_500_000)
        for _ in 0..<3 {
            if case .success(let client) = Self.connect(address, trusting: files.ca) {
                client.close()
                Issue.record("an expired certificate was accepted")
            }
            Self.waitForCheck()
        }
        let text = try ShellCommand.run("cat '\(log)'").output
        let warnings = text.split(separator: "\n").filter { $0.contains("the TLS certificate \(files.shortLivedCert) expired on ") }
        #expect(warnings.count == 1, "\(text)")
        #expect(warnings.first?.contains(": clients refuse it; replace the files (they are loaded again for new connections)") == true)
    }

    @Test func replacedCertificatesServeNewConnections() throws {
        guard let files = try TLSTestFiles.make(for: "TLSReloadTests") else { return }
        defer { files.remove() }
        try files.makeRenewedServer()
        let cert = files.directory + "/live.pem", key = files.directory + "/live-key.pem"
        try Self.install(files.cert, at: cert)
        try Self.install(files.key, at: key)
        let log = files.directory + "/server.log"
        let logFD = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        try #require(logFD >= 0)
        defer { Glibc.close(logFD) }
        var config = ServerConfig()
        config.listenClientURLs = ["https://127.0.0.1:0"]
        config.certFile = cert
        config.keyFile = key
        let server = Server(config: config, logger: Logger(level: .info, fd: logFD))
        let address = try server.start()[0].description
        defer { server.stop() }

        let before = try Self.connect(address, trusting: files.ca).get()
        defer { before.close() }
        _ = try before.call(.put(PutRequest(key: Array("k".utf8), value: Array("1".utf8))))
        #expect(throws: ClientError.self) { try Self.connect(address, trusting: files.rogueCA).get() }

        // The renewal: the certificate lands first, its key a moment later (between the two, the pair does
        // not match and must not be served).
        try Self.install(files.renewedCert, at: cert)
        Self.waitForCheck()
        let midway = try Self.connect(address, trusting: files.ca).get()
        midway.close()
        try Self.install(files.renewedKey, at: key)
        Self.waitForCheck()
        let after = try Self.connect(address, trusting: files.rogueCA).get()
        defer { after.close() }
        #expect(try after.call(.range(RangeRequest(key: Array("k".utf8)))) != nil)
        switch Self.connect(address, trusting: files.ca) {
        case .success(let client):
            client.close()
            Issue.record("the old issuer's trust still connects after the rotation")
        case .failure(let error):
            #expect(error.kind == .handshakeFailed && error.description == "x509: certificate signed by unknown authority", "\(error)")
        }
        // The connection from before the rotation is still served.
        _ = try before.call(.put(PutRequest(key: Array("k".utf8), value: Array("2".utf8))))

        // Garbage in place of the certificate: the renewed one stays in service.
        let garbage = files.directory + "/garbage.pem"
        _ = try ShellCommand.run("echo not a certificate > '\(garbage)'")
        try Self.install(garbage, at: cert)
        Self.waitForCheck()
        let still = try Self.connect(address, trusting: files.rogueCA).get()
        still.close()
        let text = try ShellCommand.run("cat '\(log)'").output
        #expect(text.contains("TLS files changed: reloaded \(cert), \(key) for new connections"), "\(text)")
        #expect(text.contains("TLS files changed but cannot be loaded (private key \(key) does not match certificate \(cert)"), "\(text)")
        #expect(text.contains("TLS files changed but cannot be loaded (cannot load certificate \(cert)"), "\(text)")
    }
}
