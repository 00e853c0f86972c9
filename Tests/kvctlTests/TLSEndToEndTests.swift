import Glibc
import KVPosix
import KVStore
import TestSupport
import Testing
@testable import KVCtlCore
@testable import KVServer

/// kvctl over TLS (issue 15) against a TLS-only kvserver on an ephemeral port: every kind of command
/// with client certificates required, the verification failures worded as etcdctl's Go client words
/// them (untrusted, wrong host, expired), `--insecure-skip-tls-verify`, a plaintext endpoint given to a
/// TLS port and the reverse, and the seed's backup line run by the built kvctl binary.
@Suite(.serialized) struct TLSEndToEndTests {
    /// A kvserver whose only listener is TLS.
    final class Running: @unchecked Sendable {
        let server: Server
        /// `127.0.0.1:PORT`.
        let address: String
        var port: String { String(address.split(separator: ":").last!) }

        init(_ files: TLSTestFiles, cert: String? = nil, clientCertAuth: Bool = false,
             plaintext: Bool = false, configure: (inout ServerConfig) -> Void = { _ in }) throws {
            var config = ServerConfig()
            if plaintext {
                config.listenClientURLs = ["http://127.0.0.1:0"]
            } else {
                config.listenClientURLs = ["https://127.0.0.1:0"]
                config.certFile = cert ?? files.cert
                config.keyFile = files.key
                if clientCertAuth {
                    config.clientCertAuth = true
                    config.trustedCAFile = files.ca
                }
            }
            configure(&config)
            server = Server(config: config, clock: SystemClock(), logger: Logger(level: .error, fd: -1))
            address = try server.start()[0].description
        }

        deinit { server.stop() }
    }

    /// kvctl's code path in-process, over the network client.
    static func run(_ args: [String], stdin: String = "", env: [String: String] = [:],
                    interrupted: (@Sendable (Console) -> Bool)? = nil) -> RunResult {
        let console = Console.captured(input: Array(stdin.utf8))
        if let interrupted { console.interrupted = { [unowned console] in interrupted(console) } }
        let code = KVCtl.run(args, program: "etcdctl", environment: env, console: console, connector: ClientBackend.connect)
        return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
    }

    /// The reason in kvctl's (and etcdctl's) warning line: `transport: authentication handshake failed: <reason>`.
    static func handshakeFailure(_ result: RunResult) -> String? {
        guard let start = result.err.firstRange(of: "transport: authentication handshake failed: ") else { return nil }
        let rest = result.err[start.upperBound...]
        return rest.firstRange(of: "\\\"").map { String(rest[..<$0.lowerBound]) }
    }

    static func files() throws -> TLSTestFiles {
        try #require(try TLSTestFiles.make(for: "TLSEndToEndTests"))
    }

    /// gRPC over TLS (ALPN h2), as kvctl speaks to etcd: the client certificate is checked, the
    /// commands answer, and an untrusted server is refused in Go's words.
    @Test func grpcOverTLSWithClientCertificates() throws {
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files, clientCertAuth: true)
        func grpc(_ args: [String]) -> RunResult {
            let console = Console.captured(input: [])
            let code = KVCtl.run(args + ["--endpoints", "https://\(s.address)"], program: "etcdctl", environment: [:],
                                 console: console, connector: GRPCBackend.connect)
            return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
        }
        let certs = ["--cacert", files.ca, "--cert", files.clientCert, "--key", files.clientKey]
        #expect(grpc(certs + ["put", "over", "h2"]).out == "OK\n")
        #expect(grpc(certs + ["get", "over", "--print-value-only"]).out == "h2\n")
        let untrusted = grpc(["get", "over"])  // no --cacert: the system trust store knows no test CA
        #expect(untrusted.code == 1 && Self.handshakeFailure(untrusted) == "x509: certificate signed by unknown authority",
                "\(untrusted.err)")
    }

    @Test func everyKindOfCommandOverTLSWithClientCertificates() throws {
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files, clientCertAuth: true)
        let tls = ["--cacert", files.ca, "--cert", files.clientCert, "--key", files.clientKey,
                   "--endpoints", "https://\(s.address)"]
        func ctl(_ args: [String], stdin: String = "", interrupted: (@Sendable (Console) -> Bool)? = nil) -> RunResult {
            Self.run(tls + args, stdin: stdin, interrupted: interrupted)
        }
        #expect(ctl(["put", "foo", "bar"]).out == "OK\n")
        #expect(ctl(["get", "foo"]).out == "foo\nbar\n")
        #expect(ctl(["put", "foo", "baz", "--prev-kv"]).out == "OK\nfoo\nbar\n")
        let txn = ctl(["txn"], stdin: "value(\"foo\") = \"baz\"\n\nput t/1 one\n\nput t/1 failed\n\n")
        #expect(txn.out == "SUCCESS\n\nOK\n", "\(txn.err)")
        #expect(ctl(["del", "t/", "--prefix"]).out == "1\n")
        // A watch runs until killed: the built binary, stopped by `timeout` (status 124).
        let kvctl = DropInTests.productsDirectory() + "/kvctl"
        try #require(access(kvctl, X_OK) == 0, "no \(kvctl): build it first")
        let watch = try ShellCommand.run("'\(kvctl)' \(tls.joined(separator: " ")) watch foo --rev 1", seconds: 3)
        #expect(watch.status == 124 && watch.output == "PUT\nfoo\nbar\nPUT\nfoo\nbaz\n", "\(watch.output)")
        let grant = ctl(["lease", "grant", "100"]).out
        #expect(grant.hasSuffix(" granted with TTL(100s)\n"))
        let id = String(grant.dropFirst(6).prefix(16))
        #expect(ctl(["put", "lk", "v", "--lease=\(id)"]).out == "OK\n")
        #expect(ctl(["lease", "keep-alive", "--once", id]).out == "lease \(id) keepalived with TTL(100)\n")
        #expect(ctl(["lease", "timetolive", id, "--keys"]).out.hasSuffix(", attached keys([lk])\n"))
        #expect(ctl(["lease", "list"]).out == "found 1 leases\n\(id)\n")
        #expect(ctl(["lease", "revoke", id]).out == "lease \(id) revoked\n")
        #expect(ctl(["member", "list"]).out.contains(", started, "))
        #expect(ctl(["endpoint", "status"]).out.hasPrefix("https://\(s.address), "))
        #expect(ctl(["endpoint", "health"]).err.hasPrefix("https://\(s.address) is healthy: "))
        #expect(ctl(["compaction", "3"]).out == "compacted revision 3\n")
        let lock = ctl(["lock", "l1"], interrupted: { !$0.capturedOut.isEmpty })
        #expect(lock.code == 0 && lock.out.hasPrefix("l1/"), "\(lock.err)")

        // check datascale also reads the server's /metrics, over TLS too.
        let scale = ctl(["check", "datascale", "--count", "100"])
        #expect(scale.code == 0 && scale.out.contains("PASS: Approximate system memory used"), "\(scale.err)")

        var template = Array("/tmp/kvctl-tls-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { _ = try? ShellCommand.run("rm -rf '\(dir)'") }
        let saved = ctl(["snapshot", "save", dir + "/backup.db"])
        #expect(saved.code == 0 && saved.out == "Snapshot saved at \(dir)/backup.db\n", "\(saved.err)")
        let status = Self.run(["snapshot", "status", dir + "/backup.db", "-w", "json"])
        #expect(status.code == 0, "\(status.err)")

        // The same flags from the environment, etcdctl's and kvctl's names.
        for prefix in ["ETCDCTL_", "KVCTL_"] {
            let env = [prefix + "CACERT": files.ca, prefix + "CERT": files.clientCert, prefix + "KEY": files.clientKey,
                       prefix + "ENDPOINTS": "https://\(s.address)"]
            let r = Self.run(["get", "foo", "--print-value-only"], env: env)
            #expect(r.out == "baz\n", "\(prefix): \(r.err)")
        }
        // A bare host:port is TLS when a TLS flag is given (etcd's client does the same).
        let bare = Self.run(["--cacert", files.ca, "--cert", files.clientCert, "--key", files.clientKey,
                             "--endpoints", s.address, "get", "foo", "--print-value-only"])
        #expect(bare.out == "baz\n", "\(bare.err)")
    }

    @Test func makeMirrorToATLSDestination() throws {
        let files = try Self.files()
        defer { files.remove() }
        let source = try Running(files)
        let destination = try Running(files, clientCertAuth: true)
        let sourceFlags = ["--cacert", files.ca, "--endpoints", "https://\(source.address)"]
        #expect(Self.run(sourceFlags + ["put", "m/a", "1"]).code == 0)
        let mirror = Self.run(sourceFlags + ["make-mirror", "--prefix", "m/", "--dest-cacert", files.ca,
                                             "--dest-cert", files.clientCert, "--dest-key", files.clientKey,
                                             "https://\(destination.address)"],
                              interrupted: { _ in (try? destination.server.state.store.get("m/a")) != nil })
        #expect(mirror.code == 0, "\(mirror.err)")
        #expect(try destination.server.state.store.get("m/a")?.value == Array("1".utf8))
        // Without its client certificate the destination refuses the mirror.
        let refused = Self.run(sourceFlags + ["make-mirror", "--dest-cacert", files.ca, "https://\(destination.address)"])
        #expect(refused.code == 1)
        #expect(Self.handshakeFailure(refused)?.hasPrefix("remote error: tls: ") == true, "\(refused.err)")
    }

    /// Each failure: exit 1 and `context deadline exceeded` after the client's warning naming Go's reason,
    /// within a bounded time (no retrying until the command timeout).
    @Test func verificationFailuresAreRefusedWithGoTexts() throws {
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files)
        let elsewhere = try Running(files, cert: files.wrongHostCert)
        let cases: [([String], String)] = [
            // No --cacert: the system's trust store does not know the test CA.
            (["--endpoints", "https://\(s.address)"], "x509: certificate signed by unknown authority"),
            (["--cacert", files.ca, "--endpoints", "https://\(elsewhere.address)"], "x509: certificate is valid for 10.9.9.9, not 127.0.0.1"),
            (["--cacert", files.ca, "--endpoints", "https://localhost:\(elsewhere.port)"],
             "x509: certificate is valid for elsewhere.example, not localhost"),
        ]
        for (args, reason) in cases {
            let started = monotonicNanoseconds()
            let r = Self.run(args + ["--dial-timeout", "3s", "get", "foo"])
            #expect(monotonicNanoseconds() - started < 3_000_000_000, "\(args)")
            #expect(r.code == 1, "\(args)")
            #expect(Self.handshakeFailure(r) == reason, "\(args): \(r.err)")
            #expect(r.err.hasSuffix("\nError: context deadline exceeded\n"))
            #expect(r.out.isEmpty)
        }
        // --insecure-skip-tls-verify accepts both, as etcdctl does.
        for address in [s.address, "localhost:\(elsewhere.port)"] {
            let r = Self.run(["--insecure-skip-tls-verify", "--endpoints", "https://\(address)", "put", "k", "v"])
            #expect(r.out == "OK\n", "\(address): \(r.err)")
        }
        // The right host name through localhost.
        #expect(Self.run(["--cacert", files.ca, "--endpoints", "https://localhost:\(s.port)", "get", "k", "--print-value-only"]).out == "v\n")
    }

    @Test func clientCertificateRequiredByTheServer() throws {
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files, clientCertAuth: true)
        for extra in [[], ["--cert", files.rogueCert, "--key", files.rogueKey]] {
            let r = Self.run(["--cacert", files.ca, "--endpoints", "https://\(s.address)"] + extra + ["get", "foo"])
            #expect(r.code == 1)
            #expect(Self.handshakeFailure(r)?.hasPrefix("remote error: tls: ") == true, "\(extra): \(r.err)")
        }
    }

    /// An expired server certificate (kvserver refuses to start with one, so `openssl s_server` serves it),
    /// through the built kvctl binary.
    @Test func expiredServerCertificate() throws {
        let files = try Self.files()
        defer { files.remove() }
        let kvctl = DropInTests.productsDirectory() + "/kvctl"
        try #require(access(kvctl, X_OK) == 0, "no \(kvctl): build it first")
        let port = try Self.freePort()
        let script = """
            openssl s_server -quiet -accept 127.0.0.1:\(port) -cert \(files.expiredCert) -key \(files.key) >/dev/null 2>&1 &
            server=$!
            for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/\(port)) 2>/dev/null && break; sleep 0.1; done
            '\(kvctl)' --cacert \(files.ca) --endpoints https://127.0.0.1:\(port) --dial-timeout 3s get foo
            echo "status $?"
            kill $server
            """
        let r = try ShellCommand.run("exec bash -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))'", seconds: 20)
        #expect(r.output.contains("transport: authentication handshake failed: x509: certificate has expired or is not yet valid: current time "), "\(r.output)")
        #expect(r.output.contains("Error: context deadline exceeded\nstatus 1\n"), "\(r.output)")
    }

    @Test func badFilesFailBeforeConnecting() throws {
        let files = try Self.files()
        defer { files.remove() }
        let cases: [([String], String)] = [
            (["--cacert", files.directory + "/missing.pem"], "open \(files.directory)/missing.pem: no such file or directory"),
            (["--cert", files.clientCert, "--key", files.directory + "/missing.pem"], "open \(files.directory)/missing.pem: no such file or directory"),
            (["--cert", files.clientCert, "--key", files.otherKey], "tls: private key does not match public key"),
            (["--cert", files.directory + "/ext.cnf", "--key", files.clientKey], "tls: failed to find any PEM data in certificate input"),
            (["--cert", files.clientCert, "--key", files.directory + "/ext.cnf"], "tls: failed to find any PEM data in key input"),
        ]
        for (args, message) in cases {
            let r = Self.run(args + ["--endpoints", "https://127.0.0.1:1", "get", "foo"])
            #expect(r.code == 128, "\(args)")
            #expect(r.err == "Error: \(message)\n", "\(args)")
        }
    }

    @Test func plaintextAndTLSMismatchesFailClearlyAndFast() throws {
        let files = try Self.files()
        defer { files.remove() }
        let secure = try Running(files)
        let plain = try Running(files, plaintext: true)
        // http:// (and a bare address without TLS flags) to the TLS port: the server hangs up on plaintext.
        for endpoint in ["http://\(secure.address)", secure.address] {
            let started = monotonicNanoseconds()
            let r = Self.run(["--endpoints", endpoint, "--command-timeout", "5s", "get", "foo"])
            #expect(monotonicNanoseconds() - started < 3_000_000_000, "\(endpoint)")
            #expect(r.code == 1)
            #expect(r.err.hasSuffix("the server hung up before answering HELLO: if it serves TLS, use https://\n"), "\(endpoint): \(r.err)")
        }
        // https:// to the plaintext port: Go's wording for a server that does not speak TLS.
        let started = monotonicNanoseconds()
        let r = Self.run(["--cacert", files.ca, "--endpoints", "https://\(plain.address)", "get", "foo"])
        #expect(monotonicNanoseconds() - started < 3_000_000_000)
        #expect(r.code == 1)
        #expect(Self.handshakeFailure(r) == "tls: first record does not look like a TLS handshake", "\(r.err)")
        // A TLS flag with an http:// endpoint is refused, never ignored.
        let refused = Self.run(["--cacert", files.ca, "--endpoints", "http://\(plain.address)", "get", "foo"])
        #expect(refused.code == 128)
        #expect(refused.err == "Error: --cacert asks for TLS, but endpoint http://\(plain.address) is plaintext (http://); use https:// or leave out the TLS flags\n")
        // Both servers still serve.
        #expect(Self.run(["--endpoints", plain.address, "put", "a", "1"]).out == "OK\n")
        #expect(Self.run(["--cacert", files.ca, "--endpoints", "https://\(secure.address)", "put", "a", "1"]).out == "OK\n")
    }

    /// The seed's backup line, verbatim but for the port, by the built binary, against a TLS-only server
    /// that requires client certificates.
    @Test func theBackupLineWorksVerbatim() throws {
        let files = try Self.files()
        defer { files.remove() }
        let kvctl = DropInTests.productsDirectory() + "/kvctl"
        try #require(access(kvctl, X_OK) == 0, "no \(kvctl): build it first")
        let s = try Running(files, clientCertAuth: true)
        _ = try s.server.state.store.put(Array("backed".utf8), Array("up".utf8))
        let line = "cd \(files.directory) && '\(kvctl)' --cacert ca.pem --cert client.pem --key client-key.pem --endpoints https://127.0.0.1:\(s.port) snapshot save backup.db"
        let r = try ShellCommand.run(line, seconds: 30)
        #expect(r.status == 0 && r.output == "Snapshot saved at backup.db\n", "\(r.output)")
        let status = try ShellCommand.run("'\(kvctl)' snapshot status \(files.directory)/backup.db -w json", seconds: 10)
        #expect(status.status == 0 && status.output.contains("\"totalKey\":"), "\(status.output)")
    }

    /// The same refusals through the real etcdctl (over gRPC) and kvctl: the same Go reason.
    @Test func etcdctlGivesTheSameReasons() throws {
        guard ShellCommand.succeeds("command -v etcdctl") else { return print("TLSEndToEndTests: etcdctl comparison skipped — etcdctl is not installed") }
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files)
        let elsewhere = try Running(files, cert: files.wrongHostCert)
        for (endpoint, ca) in [("https://\(s.address)", ""), ("https://\(elsewhere.address)", "--cacert \(files.ca)"),
                               ("https://localhost:\(elsewhere.port)", "--cacert \(files.ca)")] {
            let etcdctl = try ShellCommand.run("ETCDCTL_API=3 etcdctl --debug \(ca) --endpoints \(endpoint) --dial-timeout 1s --command-timeout 1s get foo 2>&1 | grep -m1 -o 'authentication handshake failed: [^\"]*'", seconds: 20)
            let kvctl = Self.run((ca.isEmpty ? [] : ["--cacert", files.ca]) + ["--endpoints", endpoint, "get", "foo"])
            #expect("authentication handshake failed: " + (Self.handshakeFailure(kvctl) ?? "none") + "\n" == etcdctl.output,
                    "\(endpoint): etcdctl \(etcdctl.output) kvctl \(kvctl.err)")
        }
    }

    /// etcd's `--auto-tls`: a self-signed certificate made at start for the URL's host, kept in the data
    /// directory and reused by the next start; kvctl accepts it only with `--insecure-skip-tls-verify`.
    @Test func autoTLSServesASelfSignedCertificate() throws {
        var template = Array("/tmp/kvctl-autotls-XXXXXX".utf8CString)
        let dataDir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { _ = try? ShellCommand.run("rm -rf '\(dataDir)'") }
        let config = try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:0", "--auto-tls", "--data-dir", dataDir])
        var first: String?
        for start in 0..<2 {
            let server = Server(config: config, clock: SystemClock(), logger: Logger(level: .error, fd: -1))
            let address = try server.start()[0].description
            defer { server.stop() }
            let refused = Self.run(["--endpoints", "https://\(address)", "get", "a"])
            #expect(Self.handshakeFailure(refused) == "x509: certificate signed by unknown authority", "\(refused.err)")
            let put = Self.run(["--insecure-skip-tls-verify", "--endpoints", "https://\(address)", "put", "a", "\(start)"])
            #expect(put.out == "OK\n", "\(put.err)")
            let text = try ShellCommand.run("openssl x509 -in \(dataDir)/fixtures/client/cert.pem -noout -subject -ext subjectAltName -fingerprint", seconds: 10).output
            #expect(text.contains("subject=O = etcd") && text.contains("IP Address:127.0.0.1"), "\(text)")
            if let first { #expect(text == first, "a second start reuses the certificate") } else { first = text }
        }
        // Without a data directory, nothing is left on disk.
        let memoryOnly = Server(config: try ServerConfig.parse(["--listen-client-urls", "https://127.0.0.1:0", "--auto-tls"]),
                                clock: SystemClock(), logger: Logger(level: .error, fd: -1))
        let address = try memoryOnly.start()[0].description
        defer { memoryOnly.stop() }
        #expect(Self.run(["--insecure-skip-tls-verify", "--endpoints", "https://\(address)", "put", "b", "1"]).out == "OK\n")
    }

    static func freePort() throws -> Int {
        let socket = try Socket.listen(on: try SocketAddress(parsing: "127.0.0.1:0"))
        defer { try? socket.close() }
        return Int(try socket.localAddress().port)
    }
}

extension TLSEndToEndTests {
    /// With auth enabled and client certificates required, a request with no token acts as the user its
    /// certificate's Common Name names (etcd's rule); a login's token wins over it. kvctl speaks the line
    /// protocol; etcdctl (gRPC), when installed, is checked the same way.
    @Test func theCertificatesCommonNameIsTheUserWithoutAToken() throws {
        let files = try Self.files()
        defer { files.remove() }
        let s = try Running(files, clientCertAuth: true) { $0.passwordHashIterations = 100; $0.authFailureDelay = 0 }
        func ctl(_ cert: String, _ key: String, _ args: [String]) -> RunResult {
            Self.run(["--cacert", files.ca, "--cert", cert, "--key", key, "--endpoints", "https://\(s.address)"] + args)
        }
        let asAlice = { (args: [String]) in ctl(files.clientCert, files.clientKey, args) }   // CN=alice
        let asRoot = { (args: [String]) in ctl(files.rootCert, files.rootKey, args) }        // CN=root
        for setup in [["user", "add", "root:rootpw"], ["user", "add", "alice:alicepw"], ["role", "add", "reader"],
                      ["role", "grant-permission", "reader", "read", "app/", "--prefix"], ["user", "grant-role", "alice", "reader"],
                      ["put", "app/x", "1"], ["auth", "enable"]] {
            let result = asAlice(setup)
            #expect(result.code == 0, "\(setup): \(result.err)")
        }
        // alice, by her certificate alone: reads what her role allows, nothing more.
        #expect(asAlice(["get", "app/x", "--print-value-only"]).out == "1\n")
        let denied = asAlice(["put", "app/x", "2"])
        #expect(denied.code == 1 && denied.err.contains("etcdserver: permission denied"), "\(denied.err)")
        // root's certificate is root.
        #expect(asRoot(["put", "app/x", "3"]).out == "OK\n")
        #expect(asRoot(["user", "list"]).out == "alice\nroot\n")
        // A login's token wins over the certificate.
        #expect(asAlice(["--user", "root:rootpw", "put", "app/x", "4"]).out == "OK\n")
        // A certificate naming no user is refused like a request without a token.
        let unknown = ctl(files.cert, files.key, ["get", "app/x"])
        #expect(unknown.code == 1, "\(unknown.out)")

        guard ShellCommand.succeeds("command -v etcdctl") else {
            print("TLSEndToEndTests: etcdctl part skipped — etcdctl is not installed (bash ../shared/clients/install.sh)")
            return
        }
        let etcdctl = "ETCDCTL_API=3 etcdctl --endpoints=https://\(s.address) --cacert \(files.ca) --dial-timeout 3s --command-timeout 5s"
        let get = try ShellCommand.run("\(etcdctl) --cert \(files.clientCert) --key \(files.clientKey) get app/x --print-value-only", seconds: 20)
        #expect(get.status == 0 && get.output == "4\n", "\(get.output)")
        let put = try ShellCommand.run("\(etcdctl) --cert \(files.clientCert) --key \(files.clientKey) put app/x 5", seconds: 20)
        #expect(put.status != 0 && put.output.contains("permission denied"), "\(put.output)")
        let rootPut = try ShellCommand.run("\(etcdctl) --cert \(files.rootCert) --key \(files.rootKey) put app/x 6", seconds: 20)
        #expect(rootPut.status == 0 && rootPut.output == "OK\n", "\(rootPut.output)")
    }
}
