import Testing
import KVStore
@testable import KVCtlCore
@testable import KVServer

/// Auth through kvctl's whole path: the network client logging in, a real kvserver enforcing. Hashing
/// and the failed-login delay are turned down so that the run stays fast; every call is bounded by the
/// dial and command timeouts (1 s / 5 s).
@Suite(.serialized) struct AuthEndToEndTests {
    final class Running: @unchecked Sendable {
        let server: Server
        let endpoint: String
        init() throws {
            var config = ServerConfig()
            config.listenClientURLs = ["127.0.0.1:0"]
            config.passwordHashIterations = 100
            config.authFailureDelay = 0
            server = Server(config: config, clock: SystemClock(), logger: Logger(level: .error, fd: -1))
            endpoint = try server.start()[0].description
        }
        deinit { server.stop() }

        func run(_ line: String, stdin: String = "", env: [String: String] = [:]) -> RunResult {
            run(line.split(separator: " ").map(String.init), stdin: stdin, env: env)
        }

        func run(_ args: [String], stdin: String = "", env: [String: String] = [:]) -> RunResult {
            let console = Console.captured(input: Array(stdin.utf8))
            let code = KVCtl.run(["--endpoints=\(endpoint)", "--dial-timeout=1s"] + args, program: "etcdctl",
                                 environment: env, console: console, connector: ClientBackend.connect)
            return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
        }
    }

    static let authFailed = "Error: etcdserver: authentication failed, invalid user ID or password\n"

    @Test func enableUseAndDisable() throws {
        let s = try Running()
        let noRoot = s.run("auth enable")
        #expect(noRoot.err == "Error: etcdserver: root user does not exist\n" && noRoot.code == 1)
        #expect(s.run("user add root:rootpw").out == "User root created\n")
        #expect(s.run("auth enable").out == "Authentication Enabled\n")
        let anonymous = s.run("get foo")
        #expect(anonymous.err == "Error: etcdserver: user name is empty\n" && anonymous.code == 1)
        #expect(s.run("--user=root:rootpw put app/x 1").out == "OK\n")
        #expect(s.run("--user root --password rootpw role list").out == "root\n")
        #expect(s.run("--user=root:rootpw user get root").out == "User: root\nRoles: root\n")

        let wrong = s.run("--user=root:wrong get app/x")
        #expect(wrong.err == Self.authFailed && wrong.code == 2 && wrong.out == "")
        let unknown = s.run("--user=alice:wrong get app/x")
        #expect(unknown.err == Self.authFailed && unknown.code == 2)

        for line in ["user add alice:alicepw", "role add app-reader", "role grant-permission app-reader read app/ --prefix",
                     "user grant-role alice app-reader"] {
            #expect(s.run("--user=root:rootpw " + line).code == 0, "\(line)")
        }
        #expect(s.run("--user=alice:alicepw get app/x").out == "app/x\n1\n")
        let put = s.run("--user=alice:alicepw put app/x 2")
        #expect(put.err == "Error: etcdserver: permission denied\n" && put.code == 1)
        let everything = s.run(["--user=alice:alicepw", "get", "", "--prefix"])
        #expect(everything.err == "Error: etcdserver: permission denied\n" && everything.code == 1)
        let admin = s.run("--user=alice:alicepw user list")
        #expect(admin.err == "Error: etcdserver: permission denied\n" && admin.code == 1)
        #expect(s.run("--user=alice:alicepw user get alice --detail").out ==
            "User: alice\n\nRole app-reader\nKV Read:\n\t[app/, app0) (prefix app/)\nKV Write:\n")

        // Refusals as etcd 3.4's maintenance and watch APIs word them.
        let watch = s.run("--user=alice:alicepw watch other")
        #expect(watch.err == "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\n"
                + "Error: watch is canceled by the server\n" && watch.code == 5)
        let anonymousWatch = s.run("watch app/x")
        #expect(anonymousWatch.err == "watch was canceled (rpc error: code = InvalidArgument desc = etcdserver: user name is empty)\n"
                + "Error: watch is canceled by the server\n" && anonymousWatch.code == 5)
        let snapshot = s.run("--user=alice:alicepw snapshot save /tmp/kvctl-denied-\(UInt32.random(in: 0...UInt32.max)).snap")
        #expect(snapshot.err == "Error: rpc error: code = Unknown desc = auth: permission denied\n" && snapshot.code == 5)
        let hash = s.run("--user=alice:alicepw endpoint hashkv")
        #expect(hash.err == "Failed to get the hash of endpoint \(s.endpoint) (rpc error: code = Unknown desc = auth: permission denied)\n"
                + "Error: rpc error: code = Unknown desc = auth: permission denied\n" && hash.code == 1)

        let prompted = s.run("--user alice get app/x", stdin: "alicepw\n")
        #expect(prompted.out == "Password: \napp/x\n1\n" && prompted.code == 0)
        #expect(s.run("role list", env: ["ETCDCTL_USER": "root:rootpw"]).out == "app-reader\nroot\n")
        #expect(s.run("--user=root:rootpw auth status").out.hasPrefix("Authentication Status: true\nAuthRevision: "))

        let disable = s.run("auth disable")
        #expect(disable.err == "Error: etcdserver: user name is empty\n" && disable.code == 1)
        let notRoot = s.run("--user=alice:alicepw auth disable")
        #expect(notRoot.err == "Error: etcdserver: permission denied\n" && notRoot.code == 1)
        #expect(s.run("--user=root:rootpw auth disable").out == "Authentication Disabled\n")
        #expect(s.run("auth disable").out == "Authentication Disabled\n")
        #expect(s.run("get app/x").out == "app/x\n1\n")
        // Auth off: the server does not take logins, and etcdctl's client goes on without one.
        let ignored = s.run("--user=root:wrong get app/x")
        #expect(ignored.out == "app/x\n1\n" && ignored.code == 0)
        #expect(s.run("auth status -w json").out.contains("\"authRevision\":"))
    }

    @Test func passwordChangeTakesEffect() throws {
        let s = try Running()
        #expect(s.run("user add root:rootpw").code == 0)
        #expect(s.run("auth enable").code == 0)
        #expect(s.run("--user=root:rootpw user passwd root --interactive=false", stdin: "newpw\n").out == "Password updated\n")
        #expect(s.run("--user=root:rootpw role list").code == 2)
        #expect(s.run("--user=root:newpw role list").out == "root\n")
    }

    /// With credentials, a server that cannot be reached fails like a refused login: exit 2.
    @Test func unreachableWithCredentials() {
        let console = Console.captured()
        let code = KVCtl.run(["--endpoints=127.0.0.1:1", "--dial-timeout=1s", "--user=root:pw", "get", "foo"],
                             environment: [:], console: console, connector: ClientBackend.connect)
        #expect(code == 2)
        #expect(console.capturedErr.contains("dial tcp 127.0.0.1:1: connect: connection refused"))
        #expect(console.capturedErr.hasSuffix("\nError: context deadline exceeded\n"))
    }
}
