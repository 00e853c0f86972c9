import Testing
import KVStore
@testable import KVServer
@testable import KVCtlCore

/// kvctl's code path over the network client against a real server on an ephemeral port.
@Suite(.serialized) struct EndToEndTests {
    final class Running: @unchecked Sendable {
        let server: Server
        let endpoint: String
        init() throws {
            var config = ServerConfig()
            config.listenClientURLs = ["127.0.0.1:0"]
            server = Server(config: config, clock: SystemClock(), logger: Logger(level: .error, fd: -1))
            endpoint = try server.start()[0].description
        }
        deinit { server.stop() }

        func run(_ args: [String], stdin: String = "") -> RunResult {
            let console = Console.captured(input: Array(stdin.utf8))
            let code = KVCtl.run(["--endpoints=\(endpoint)"] + args, program: "etcdctl", environment: [:], console: console,
                                 connector: ClientBackend.connect)
            return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
        }
    }

    @Test func keyValueCommands() throws {
        let s = try Running()
        #expect(s.run(["put", "foo", "bar"]).out == "OK\n")
        #expect(s.run(["get", "foo"]).out == "foo\nbar\n")
        let json = s.run(["get", "foo", "-w", "json"]).out
        #expect(json.contains("\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":2,\"version\":1,\"value\":\"YmFy\"}],\"count\":1}\n"))
        #expect(s.run(["put", "foo", "bar2", "--prev-kv"]).out == "OK\nfoo\nbar\n")
        #expect(s.run(["put", "--", "dash", "-v"]).out == "OK\n")
        #expect(s.run(["get", "dash", "--print-value-only"]).out == "-v\n")
        let txn = s.run(["txn"], stdin: "value(\"foo\") = \"bar2\"\n\nput t/1 one\nget foo\n\nput t/1 failed\n\n")
        #expect(txn.out == "SUCCESS\n\nOK\n\nfoo\nbar2\n")
        #expect(s.run(["del", "t/", "--prefix"]).out == "1\n")
        let future = s.run(["get", "foo", "--rev", "1000"])
        #expect(future.err == "Error: etcdserver: mvcc: required revision is a future revision\n" && future.code == 1)
        #expect(s.run(["put", "", "v"]).err == "Error: etcdserver: key is not provided\n")
        #expect(s.run(["compaction", "3"]).out == "compacted revision 3\n")
        #expect(s.run(["compaction", "3"]).err == "Error: etcdserver: mvcc: required revision has been compacted\n")
    }

    @Test func leasesAndCluster() throws {
        let s = try Running()
        let grant = s.run(["lease", "grant", "100"]).out
        #expect(grant.hasSuffix(" granted with TTL(100s)\n"))
        let id = String(grant.dropFirst(6).prefix(16))
        #expect(s.run(["put", "lk", "v", "--lease=\(id)"]).out == "OK\n")
        #expect(s.run(["lease", "timetolive", id, "--keys"]).out.hasSuffix(", attached keys([lk])\n"))
        #expect(s.run(["lease", "list"]).out == "found 1 leases\n\(id)\n")
        #expect(s.run(["lease", "keep-alive", "--once", id]).out == "lease \(id) keepalived with TTL(100)\n")
        #expect(s.run(["lease", "revoke", id]).out == "lease \(id) revoked\n")
        #expect(s.run(["get", "lk"]).out == "")
        #expect(s.run(["put", "tk", "v", "--ttl", "60"]).out == "OK\n")
        #expect(s.run(["member", "list"]).out.contains(", started, "))
        #expect(s.run(["endpoint", "status"]).out.hasPrefix("\(s.endpoint), "))
        #expect(s.run(["endpoint", "health"]).err.hasPrefix("\(s.endpoint) is healthy: successfully committed proposal: took = "))
        #expect(s.run(["endpoint", "hashkv"]).out.hasPrefix("\(s.endpoint), "))
    }

    @Test func connectionRefused() throws {
        let console = Console.captured()
        let code = KVCtl.run(["--endpoints=127.0.0.1:1", "get", "foo"], environment: [:], console: console,
                             connector: ClientBackend.connect)
        #expect(code == 1)
        // etcdctl's shape: the client's warning naming the dial error, then its error.
        #expect(console.capturedErr.hasPrefix("{\"level\":\"warn\""))
        #expect(console.capturedErr.contains("dial tcp 127.0.0.1:1: connect: connection refused"))
        #expect(console.capturedErr.hasSuffix("\nError: context deadline exceeded\n"))
    }
}
