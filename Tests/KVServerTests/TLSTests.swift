import Glibc
import KVPosix
import KVBenchCore
import KVClient
import TestSupport
import Testing
@testable import KVServer

/// TLS on the client port (`https://` listeners): real clients over it (openssl s_client for the line
/// protocol, curl for HTTP/1.1, etcdctl for gRPC over h2), a plaintext listener beside it, the
/// handshake timeout, garbage instead of a ClientHello, and the start-up errors for bad files.
@Suite(.serialized) struct TLSTests {
    /// A server with a TLS listener (`endpoint`) and a plaintext one (`plainEndpoint`).
    final class Servers {
        let server: TestServer
        let endpoint: String
        let plainEndpoint: String

        init(_ files: TLSTestFiles, _ configure: (inout ServerConfig) -> Void = { _ in }) throws {
            server = try TestServer { config in
                config.listenClientURLs = ["https://127.0.0.1:0", "http://127.0.0.1:0"]
                config.certFile = files.cert
                config.keyFile = files.key
                configure(&config)
            }
            endpoint = server.endpoint
            plainEndpoint = server.server.addresses[1].description
        }

        func stop() { server.stop() }
    }

    @Test func lineProtocolOverTLSWithOpenSSLClient() throws {
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files)
        defer { servers.stop() }
        // -quiet keeps the session open after the input ends; the timeout ends it.
        let run = try ShellCommand.run("openssl s_client -quiet -verify_return_error -CAfile \(files.ca) -connect \(servers.endpoint) 2>&1",
                                       input: "PUT greeting hello\nGET greeting\n", seconds: 3)
        #expect(run.output.contains("verify return:1"), "\(run.output)")
        #expect(run.output.contains("OK rev=2"), "\(run.output)")
        #expect(run.output.contains("KV greeting hello"), "\(run.output)")
        #expect(try servers.server.store.get("greeting")?.value == b("hello"))
    }

    @Test func curlOverTLSAndPlaintextBesideIt() throws {
        guard ShellCommand.succeeds("command -v curl") else { return print("TLSTests: skipped — curl is not installed") }
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files)
        defer { servers.stop() }
        let https = try ShellCommand.run("curl -sS --http1.1 --cacert \(files.ca) https://\(servers.endpoint)/health", seconds: 10)
        #expect(https.output == #"{"health":"true","reason":""}"#, "\(https.output)")
        // The JSON gateway over TLS, and the plaintext listener beside it sees the same store.
        let put = try ShellCommand.run(#"curl -sS --http1.1 --cacert \#(files.ca) https://localhost:\#(servers.endpoint.split(separator: ":").last!)/v3/kv/put -d '{"key":"Zm9v","value":"YmFy"}'"#, seconds: 10)
        #expect(put.output.contains(#""revision":"2""#), "\(put.output)")
        let plain = try ShellCommand.run(#"curl -sS http://\#(servers.plainEndpoint)/v3/kv/range -d '{"key":"Zm9v"}'"#, seconds: 10)
        #expect(plain.output.contains(#""value":"YmFy""#), "\(plain.output)")
        // Without the CA, curl refuses the certificate: the server is not trusted by default.
        let untrusted = try ShellCommand.run("curl -sS --http1.1 https://\(servers.endpoint)/health", seconds: 10)
        #expect(untrusted.status != 0)
    }

    @Test func etcdctlOverTLS() throws {
        guard ShellCommand.succeeds("command -v etcdctl") else { return print("TLSTests: skipped — etcdctl is not installed") }
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files)
        defer { servers.stop() }
        let ctl = "ETCDCTL_API=3 etcdctl --cacert \(files.ca) --endpoints=https://\(servers.endpoint) --command-timeout=10s"
        #expect(try ShellCommand.run("\(ctl) put a 1", seconds: 20).output == "OK\n")
        #expect(try ShellCommand.run("\(ctl) put a 2", seconds: 20).output == "OK\n")
        #expect(try ShellCommand.run("\(ctl) get a --print-value-only", seconds: 20).output == "2\n")
        let watch = try ShellCommand.run("\(ctl) watch a --rev=1", seconds: 3)
        #expect(watch.status == 124)
        #expect(watch.output == "PUT\na\n1\nPUT\na\n2\n", "\(watch.output)")
        // Replies and streams much larger than a TLS record and the socket's buffers: partial writes.
        _ = try servers.server.store.put(b("big"), [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000))
        let big = try ShellCommand.run("\(ctl) get big --print-value-only | wc -c", seconds: 20)
        #expect(big.output.split(separator: " ").last == "1000001\n", "\(big.output)")
        let snapshot = files.directory + "/backup.db"
        let save = try ShellCommand.run("\(ctl) snapshot save \(snapshot)", seconds: 30)
        #expect(save.output.contains("Snapshot saved at \(snapshot)"), "\(save.output)")
        // The plaintext listener serves etcdctl too.
        let plain = try ShellCommand.run("ETCDCTL_API=3 etcdctl --endpoints=http://\(servers.plainEndpoint) get a --print-value-only", seconds: 20)
        #expect(plain.output == "2\n")
    }

    /// `--client-cert-auth` with `--trusted-ca-file`: a client must present a certificate the CA signed.
    @Test func clientCertificatesAreRequiredWithClientCertAuth() throws {
        guard ShellCommand.succeeds("command -v etcdctl && command -v curl") else {
            return print("TLSTests: skipped — etcdctl or curl is not installed")
        }
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files) { config in
            config.clientCertAuth = true
            config.trustedCAFile = files.ca
        }
        defer { servers.stop() }
        let ctl = "ETCDCTL_API=3 etcdctl --cacert \(files.ca) --endpoints=https://\(servers.endpoint) --command-timeout=3s --dial-timeout=1s"
        let accepted = try ShellCommand.run("\(ctl) --cert \(files.clientCert) --key \(files.clientKey) put a 1", seconds: 20)
        #expect(accepted.output == "OK\n", "\(accepted.output)")
        let withoutCertificate = try ShellCommand.run("\(ctl) get a", seconds: 20)
        #expect(withoutCertificate.status != 0, "\(withoutCertificate.output)")
        let rogue = try ShellCommand.run("\(ctl) --cert \(files.rogueCert) --key \(files.rogueKey) get a", seconds: 20)
        #expect(rogue.status != 0, "\(rogue.output)")

        let curl = "curl -sS --http1.1 --cacert \(files.ca) https://\(servers.endpoint)/health"
        #expect(try ShellCommand.run("\(curl) --cert \(files.clientCert) --key \(files.clientKey)", seconds: 10).output
                == #"{"health":"true","reason":""}"#)
        #expect(try ShellCommand.run(curl, seconds: 10).status != 0)
        // The line protocol too: s_client with the certificate is served, without it is refused.
        let line = try ShellCommand.run("openssl s_client -quiet -CAfile \(files.ca) -cert \(files.clientCert) -key \(files.clientKey) -connect \(servers.endpoint) 2>&1",
                                        input: "GET a\n", seconds: 3)
        #expect(line.output.contains("KV a 1"), "\(line.output)")
        let refused = try ShellCommand.run("openssl s_client -quiet -CAfile \(files.ca) -connect \(servers.endpoint) 2>&1",
                                           input: "GET a\n", seconds: 3)
        #expect(!refused.output.contains("KV a 1") && refused.status != 124, "\(refused.output)")
        // The plaintext listener beside it asks for nothing.
        let plain = try RawConnection(endpoint: servers.plainEndpoint)
        try plain.send("GET a\n")
        #expect(try plain.line().hasPrefix("OK"))
    }

    @Test func silentAndHalfHelloClientsAreClosedAfterTheHandshakeTimeout() throws {
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files) { $0.tlsHandshakeTimeout = 300_000_000 }
        defer { servers.stop() }
        let silent = try RawConnection(endpoint: servers.endpoint, timeout: 3_000_000_000)
        let halfHello = try RawConnection(endpoint: servers.endpoint, timeout: 3_000_000_000)
        // A TLS record header announcing a 512-byte handshake message, and only the first bytes of it.
        try halfHello.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
        let started = Posix.monotonicNanoseconds()
        #expect(silent.readsEndOfStream())
        #expect(halfHello.readsEndOfStream())
        let waited = Posix.monotonicNanoseconds() - started
        #expect(waited >= 200_000_000 && waited < 2_500_000_000, "closed after \(waited / 1_000_000) ms")
        // The plaintext listener, on the same loop, was served meanwhile and still is.
        let plain = try RawConnection(endpoint: servers.plainEndpoint)
        try plain.send("PUT k v\n")
        #expect(try plain.line().hasPrefix("OK"))
    }

    @Test func garbageInsteadOfAClientHelloIsClosed() throws {
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let servers = try Servers(files)
        defer { servers.stop() }
        for garbage in ["PUT a 1\n", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", String(repeating: "\u{1}", count: 5000)] {
            let raw = try RawConnection(endpoint: servers.endpoint, timeout: 3_000_000_000)
            try raw.send(garbage)
            #expect(raw.readsEndOfStream(), "\(garbage.prefix(20))")
        }
        #expect(try servers.server.store.get("a") == nil)
        // TLS to the plaintext listener: the line protocol answers with an error; the server is unaffected.
        let run = try ShellCommand.run("openssl s_client -connect \(servers.plainEndpoint) </dev/null 2>&1", seconds: 5)
        #expect(run.status != 0)
        let plain = try RawConnection(endpoint: servers.plainEndpoint)
        try plain.send("PUT k v\n")
        #expect(try plain.line().hasPrefix("OK"))
    }

    /// etcd's `--cipher-suites` (Go's names): TLS 1.2 is restricted to them, TLS 1.3 is not (as in Go).
    @Test func cipherSuitesRestrictTLS12() throws {
        let files = try #require(try TLSTestFiles.make(for: "TLSTests"))
        defer { files.remove() }
        let servers = try Servers(files) { $0.cipherSuites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] }
        defer { servers.stop() }
        let client = "openssl s_client -CAfile \(files.ca) -connect \(servers.endpoint) </dev/null 2>&1"
        let allowed = try ShellCommand.run("\(client) -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256", seconds: 5)
        #expect(allowed.output.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), "\(allowed.output)")
        let other = try ShellCommand.run("\(client) -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384", seconds: 5)
        #expect(other.status != 0 && !other.output.contains("Cipher is ECDHE"), "\(other.output)")
        let tls13 = try ShellCommand.run("\(client) -tls1_3", seconds: 5)
        #expect(tls13.output.contains("TLSv1.3"), "\(tls13.output)")
        // Suites OpenSSL no longer serves at all: refused at start.
        var config = ServerConfig()
        config.listenClientURLs = ["https://127.0.0.1:0"]
        config.certFile = files.cert
        config.keyFile = files.key
        config.cipherSuites = ["TLS_RSA_WITH_RC4_128_SHA"]
        let server = Server(config: config, logger: Logger(level: .error, fd: -1))
        #expect(throws: TLSConfigError.self) { _ = try server.start() }
        server.stop()
    }

    /// Over `--max-connections`, a TLS listener closes a new connection before any handshake (a
    /// plaintext refusal line would read as a broken handshake), and the connections it holds go on.
    @Test func refusalOverMaxConnectionsIsACleanCloseOnTLS() throws {
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        var config = ServerConfig()
        config.listenClientURLs = ["https://127.0.0.1:0"]
        config.certFile = files.cert
        config.keyFile = files.key
        config.maxConnections = 1
        let server = Server(config: config, logger: Logger(level: .error, fd: -1))
        let address = try server.start()[0].description
        defer { server.stop() }
        let tls = try ClientTLS(ClientTLS.Configuration(caFile: files.ca))
        let first = try KVClient(endpoints: ["https://\(address)"], dialTimeout: .seconds(3), tls: tls)
        defer { first.close() }
        do {
            let second = try KVClient(endpoints: ["https://\(address)"], dialTimeout: .seconds(3), tls: tls)
            second.close()
            Issue.record("a second connection was served over --max-connections 1")
        } catch {
            // EOF, or a reset when the ClientHello was already waiting unread as the socket closed.
            #expect(error.kind == .handshakeFailed && (error.description == "EOF" || error.description.contains("reset")), "\(error)")
        }
        #expect(try first.call(.ping) == .pong)
    }

    @Test func badFilesAreRefusedAtStart() throws {
        guard let files = try TLSTestFiles.make(for: "TLSTests") else { return }
        defer { files.remove() }
        let cases: [(cert: String, key: String, message: String)] = [
            ("/nonexistent/server.pem", files.key, "--cert-file: open /nonexistent/server.pem: No such file or directory"),
            (files.cert, "/nonexistent/key.pem", "--key-file: open /nonexistent/key.pem: No such file or directory"),
            (files.cert, files.otherKey, "private key \(files.otherKey) does not match certificate \(files.cert)"),
            (files.directory + "/ext.cnf", files.key, "cannot load certificate \(files.directory)/ext.cnf"),
            (files.cert, files.directory + "/ext.cnf", "cannot load private key \(files.directory)/ext.cnf"),
            (files.directory + "/expired.pem", files.key, "certificate \(files.directory)/expired.pem expired on "),
            (files.cert, files.key, "--trusted-ca-file: open /nonexistent/ca.pem: No such file or directory"),
            (files.cert, files.key, "cannot load trusted CA file \(files.directory)/ext.cnf"),
        ]
        let caFiles = [nil, nil, nil, nil, nil, nil, "/nonexistent/ca.pem", files.directory + "/ext.cnf"]
        for ((cert, key, message), caFile) in zip(cases, caFiles) {
            var config = ServerConfig()
            config.listenClientURLs = ["https://127.0.0.1:0"]
            config.certFile = cert
            config.keyFile = key
            config.trustedCAFile = caFile
            let server = Server(config: config, logger: Logger(level: .error, fd: -1))
            do {
                _ = try server.start()
                server.stop()
                Issue.record("started with \(cert) and \(key)")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }
}

extension TLSTests {
    /// kvbench's load engine over TLS (`https://` endpoint, `--cacert`): puts and gets complete with no
    /// error, pipelined too; an untrusted server is refused at the handshake with Go's reason.
    @Test func kvbenchOverTLS() throws {
        let files = try #require(try TLSTestFiles.make(for: "TLSTests"))
        defer { files.remove() }
        let servers = try Servers(files)
        defer { servers.stop() }
        for arguments in [["--conns", "4", "--clients", "8", "--total", "2000", "--key-space-size", "100"],
                          ["--conns", "2", "--clients", "2", "--pipeline", "16", "--total", "5000", "--key-space-size", "100"]] {
            let options = try LoadOptions.parse(.put, ["--endpoints", "https://\(servers.endpoint)", "--cacert", files.ca] + arguments)
            #expect(options.tls == ClientTLS.Configuration(caFile: files.ca))
            let engine = try LoadEngine(endpoint: options.endpoint, timeoutSeconds: 30)
            engine.tls = try ClientTLS(try #require(options.tls))
            engine.tlsHost = options.host
            for window in options.windows { try engine.connect(load: true, window: window, lineLength: RequestSource.put(options).lineLength) }
            try engine.startPhase(.put(options), total: options.total)
            try engine.run { engine.completed == options.total }
            #expect(engine.errors == 0 && engine.completed == options.total)
        }
        #expect(try servers.server.store.keyCount == 100)
        // The server's certificate is not signed by a CA the engine trusts.
        let engine = try LoadEngine(endpoint: servers.endpoint, timeoutSeconds: 10)
        engine.tls = try ClientTLS(ClientTLS.Configuration(caFile: files.rogueCert))
        let error = try #require(throws: RunError.self) { try engine.connect(load: true, window: 1, lineLength: 64) }
        #expect("\(error)".contains("x509: certificate signed by unknown authority"), "\(error)")
    }
}
