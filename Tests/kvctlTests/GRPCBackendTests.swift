import Foundation
import Glibc
import KVPosix
import KVStore
import TestSupport
import Testing
@testable import KVCtlCore
@testable import KVServer

/// kvctl over etcd's gRPC API (`GRPCBackend`, `EtcdGRPCClient`): every kind of command gives the same
/// output over gRPC as over the line protocol (against kvserver's own gRPC front end, so this runs
/// everywhere), and, when etcd is installed, kvctl speaks to a real etcd — output compared with
/// etcdctl's on the same server, make-mirror both ways between etcd and kvserver.
@Suite(.serialized) struct GRPCBackendTests {
    /// An in-process kvserver on an ephemeral port.
    typealias Running = DropInTests.Running

    static func run(_ args: [String], endpoint: String, grpc: Bool, stdin: String = "",
                    interrupted: (@Sendable (Console) -> Bool)? = nil) -> RunResult {
        let console = Console.captured(input: Array(stdin.utf8))
        if let interrupted { console.interrupted = { [unowned console] in interrupted(console) } }
        var connector: Connector = ClientBackend.connect
        if grpc { connector = GRPCBackend.connect }
        let code = KVCtl.run(["--endpoints=\(endpoint)"] + args, program: "etcdctl", environment: [:], console: console,
                             connector: connector)
        return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
    }

    /// Output with what differs between two servers masked: endpoints, IDs, sizes.
    static func masked(_ text: String, endpoint: String) -> String {
        var result = text.replacingOccurrences(of: endpoint, with: "<endpoint>")
        for pattern in [#"[0-9a-f]{14,16}"#, #"[0-9]{12,20}"#, #"took = [0-9.]+[µm]?s"#] {
            result = result.replacing(try! Regex(pattern), with: "<id>")
        }
        return result
    }

    /// The same commands, in order, against two fresh servers: one over the line protocol, one over gRPC.
    @Test func everyKindOfCommandAnswersAlikeOverBothWires() throws {
        let line = try Running()
        let grpc = try Running()
        let script: [(args: [String], stdin: String)] = [
            (["put", "a", "1"], ""),
            (["put", "b", "2"], ""),
            (["put", "a", "3", "--prev-kv"], ""),
            (["get", "a"], ""),
            (["get", "", "--from-key", "-w", "json"], ""),
            (["get", "a", "--rev=2", "-w", "fields"], ""),
            (["get", "", "--prefix", "--keys-only", "--sort-by=VALUE", "--order=DESCEND"], ""),
            (["txn", "-w", "json"], "value(\"a\") = \"3\"\n\nput c 4\n\nput c 5\n\n"),
            (["del", "b", "--prev-kv"], ""),
            (["del", "nothing"], ""),
            (["compaction", "2"], ""),
            (["get", "a", "--rev=1"], ""),
            (["compaction", "2"], ""),
            (["lease", "grant", "100"], ""),
            (["lease", "list"], ""),
            (["lease", "timetolive", "123"], ""),
            (["lease", "revoke", "123"], ""),
            (["endpoint", "hashkv", "-w", "json"], ""),
            (["endpoint", "health"], ""),
            (["alarm", "list"], ""),
            (["defrag"], ""),
            (["member", "list", "-w", "table"], ""),
            (["user", "add", "root:pw"], ""),
            (["role", "add", "reader"], ""),
            (["role", "grant-permission", "reader", "read", "a"], ""),
            (["user", "add", "alice:apw"], ""),
            (["user", "grant-role", "alice", "reader"], ""),
            (["auth", "enable"], ""),
            (["get", "a"], ""),
            (["--user", "alice:apw", "get", "a"], ""),
            (["--user", "alice:apw", "put", "a", "x"], ""),
            (["--user", "alice:wrong", "get", "a"], ""),
            (["--user", "root:pw", "user", "get", "alice", "-w", "json"], ""),
            (["--user", "root:pw", "role", "get", "reader"], ""),
            (["--user", "root:pw", "auth", "disable"], ""),
            (["get", "", "--prefix", "-w", "json"], ""),
        ]
        for step in script {
            let expected = Self.run(step.args, endpoint: line.endpoint, grpc: false, stdin: step.stdin)
            let got = Self.run(step.args, endpoint: grpc.endpoint, grpc: true, stdin: step.stdin)
            #expect(got.code == expected.code, "\(step.args): exit \(got.code) vs \(expected.code): \(got.err)")
            #expect(Self.masked(got.out, endpoint: grpc.endpoint) == Self.masked(expected.out, endpoint: line.endpoint),
                    "\(step.args)")
            #expect(Self.masked(got.err, endpoint: grpc.endpoint) == Self.masked(expected.err, endpoint: line.endpoint),
                    "\(step.args)")
        }
    }

    @Test func leasesWatchesLocksAndElectionsOverGRPC() throws {
        let s = try Running()
        let granted = Self.run(["lease", "grant", "60"], endpoint: s.endpoint, grpc: true)
        let id = try #require(granted.out.split(separator: " ").dropFirst().first.map(String.init))
        #expect(Self.run(["put", "leased", "v", "--lease=\(id)"], endpoint: s.endpoint, grpc: true).out == "OK\n")
        #expect(Self.run(["lease", "keep-alive", "--once", id], endpoint: s.endpoint, grpc: true).out
                == "lease \(id) keepalived with TTL(60)\n")
        #expect(Self.run(["lease", "timetolive", id, "--keys"], endpoint: s.endpoint, grpc: true).out.hasSuffix("attached keys([leased])\n"))

        // A watch from an earlier revision replays, then follows; progress is answered; cancel ends it.
        let backend = try GRPCBackend.connect(endpoints: [s.endpoint], dialTimeout: 2_000_000_000, commandTimeout: 5_000_000_000,
                                              credentials: nil, security: .plaintext)
        defer { backend.close() }
        let start = try backend.put(PutRequest(key: Array("w1".utf8), value: Array("one".utf8))).header.revision
        var request = WatchRequest(key: Array("w".utf8), rangeEnd: Array("x".utf8), startRevision: start)
        request.prevKV = true
        let watch = try backend.watch(request)
        _ = try backend.deleteRange(DeleteRangeRequest(key: Array("w1".utf8)))
        var events: [String] = []
        let deadline = Posix.deadline(afterNanoseconds: 10_000_000_000)
        while events.count < 2 && Posix.monotonicNanoseconds() < deadline {
            guard let response = try watch.next(timeoutNanoseconds: 100_000_000) else { continue }
            events += response.events.map { "\($0.type) \(String(decoding: $0.kv.key, as: UTF8.self)) \($0.kv.modRevision) prev=\($0.prevKV.map { String(decoding: $0.value, as: UTF8.self) } ?? "-")" }
        }
        #expect(events == ["put w1 \(start) prev=-", "delete w1 \(start + 1) prev=one"])
        try watch.requestProgress()
        var progress: WatchResponse?
        while progress == nil && Posix.monotonicNanoseconds() < deadline {
            progress = try watch.next(timeoutNanoseconds: 100_000_000).flatMap { $0.events.isEmpty ? $0 : nil }
        }
        #expect(progress?.header.revision == start + 1)
        watch.cancel()

        let held = "/tmp/kvctl-grpc-lock-\(getpid())"
        defer { unlink(held) }
        let lock = Self.run(["lock", "mutex", "--", "sh", "-c", "echo \"$ETCD_LOCK_KEY\" > \(held)"], endpoint: s.endpoint, grpc: true)
        #expect(lock.code == 0, "\(lock.err)")
        #expect((try? String(contentsOfFile: held, encoding: .utf8))?.hasPrefix("mutex/") == true)
        #expect(Self.run(["get", "mutex", "--prefix"], endpoint: s.endpoint, grpc: true).out == "", "released after the command")
        final class Output: @unchecked Sendable { var text = "" }  // written before join, read after
        let elected = Output()
        let election = try PosixThread.spawn(name: "elect") {
            elected.text = Self.run(["elect", "chosen", "candidate"], endpoint: s.endpoint, grpc: true, interrupted: { console in
                console.capturedOut.contains("candidate")
            }).out
        }
        election.join()
        #expect(elected.text.hasPrefix("chosen/") && elected.text.hasSuffix("\ncandidate\n"), "\(elected.text)")
        #expect(Self.run(["get", "chosen", "--prefix"], endpoint: s.endpoint, grpc: true).out == "", "resigned when interrupted")
    }

    @Test func makeMirrorOverGRPC() throws {
        let source = try Running()
        let destination = try Running()
        _ = Self.run(["put", "m/a", "1"], endpoint: source.endpoint, grpc: true)
        let mirror = try PosixThread.spawn(name: "mirror") {
            _ = Self.run(["make-mirror", "--prefix", "m/", destination.endpoint], endpoint: source.endpoint, grpc: true,
                         interrupted: { _ in destination.server.state.store.revision >= 4 })
        }
        let deadline = Posix.deadline(afterNanoseconds: 10_000_000_000)
        while destination.server.state.store.revision < 2 && Posix.monotonicNanoseconds() < deadline { usleep(20_000) }
        _ = Self.run(["put", "m/b", "2"], endpoint: source.endpoint, grpc: true)
        _ = Self.run(["del", "m/a"], endpoint: source.endpoint, grpc: true)
        mirror.join()
        #expect(Self.run(["get", "", "--from-key"], endpoint: destination.endpoint, grpc: true).out == "m/b\n2\n")
    }

    /// Over gRPC the snapshot comes in etcd's format (as etcd streams it) and is kept so.
    @Test func snapshotSaveOverGRPC() throws {
        let s = try Running()
        for index in 0..<200 { _ = Self.run(["put", "k\(index)", "v\(index)"], endpoint: s.endpoint, grpc: false) }
        let path = "/tmp/kvctl-grpc-\(getpid()).db"
        defer { unlink(path) }
        let saved = Self.run(["snapshot", "save", path], endpoint: s.endpoint, grpc: true)
        #expect(saved.code == 0 && saved.out == "Snapshot saved at \(path)\n", "\(saved.err)")
        let status = Self.run(["snapshot", "status", path, "-w", "json"], endpoint: s.endpoint, grpc: false)
        #expect(status.err == "snapshot format: etcd (bbolt backend database)\n")
        #expect(status.out.contains("\"revision\":201,"), "\(status.out)")
    }

    @Test func aServerThatSpeaksNoHTTP2IsAClearError() throws {
        // A listener that accepts and answers garbage: neither the line protocol nor HTTP/2.
        let listener = try Socket.listen(on: try SocketAddress(parsing: "127.0.0.1:0"))
        let port = try listener.localAddress().port
        let server = try PosixThread.spawn(name: "garbage") {
            for _ in 0..<2 {
                var ready = pollfd(fd: listener.fd.rawValue, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 5000) == 1, case .processed(let connection)? = try? listener.accept() else { return }
                _ = "HTTP/1.1 400 Bad Request\r\n\r\n".withCString { send(connection.fd.rawValue, $0, 28, Int32(MSG_NOSIGNAL)) }
                try? connection.close()
            }
        }
        let r = Self.run(["get", "a", "--dial-timeout=2s"], endpoint: "127.0.0.1:\(port)", grpc: false)
        server.join()
        try? listener.close()
        #expect(r.code != 0)
        #expect(r.err.hasPrefix("Error: ") && r.err.contains("127.0.0.1:\(port)"), "\(r.err)")
    }

    // MARK: against a real etcd (skipped without it)

    static func etcd() throws -> RealEtcd? {
        guard RealEtcd.isInstalled else {
            print("GRPCBackendTests: real-etcd tests skipped — etcd or etcdctl is not installed")
            return nil
        }
        return try RealEtcd(dataDir: "/tmp/kvctl-grpc-etcd-\(getpid())-\(Int.random(in: 0..<1_000_000))")
    }

    /// kvctl finds that etcd speaks only gRPC and answers as etcdctl does on the same server.
    @Test func kvctlAgainstEtcdAnswersAsEtcdctl() throws {
        guard let etcd = try Self.etcd() else { return }
        defer { etcd.stop() }
        for (key, value) in [("a", "1"), ("b", "2"), ("c/d", "3")] { _ = try etcd.ctl("put \(key) \(value)") }
        _ = try etcd.ctl("del b")
        let commands = [
            "get a", "get a -w json", "get '' --from-key -w json", "get a --rev=2 -w fields", "get c --prefix --keys-only",
            "member list -w table", "alarm list", "lease list", "endpoint hashkv -w json", "get zz",
        ]
        for command in commands {
            let expected = try etcd.ctl(command)
            let args = try #require(ShellCommand.run("for a in \(command); do printf '%s\\n' \"$a\"; done").output
                .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
            let got = Self.run(args, endpoint: etcd.endpoint, grpc: false)
            #expect(got.out + got.err == expected.output, "\(command)")
        }
        // Writes go through too, and auth enable creates the root role as etcdctl does.
        #expect(Self.run(["put", "x", "y"], endpoint: etcd.endpoint, grpc: false).out == "OK\n")
        #expect(try etcd.ctl("get x --print-value-only").output == "y\n")
        _ = try etcd.ctl("user add root:pw")
        #expect(Self.run(["auth", "enable"], endpoint: etcd.endpoint, grpc: false).out == "Authentication Enabled\n")
        #expect(Self.run(["--user", "root:pw", "get", "x", "--print-value-only"], endpoint: etcd.endpoint, grpc: false).out == "y\n")
        #expect(Self.run(["get", "x"], endpoint: etcd.endpoint, grpc: false).err == "Error: etcdserver: user name is empty\n")
        #expect(Self.run(["--user", "root:pw", "auth", "disable"], endpoint: etcd.endpoint, grpc: false).code == 0)
        // A snapshot saved by kvctl from etcd is etcd's own: etcdctl reads it.
        let path = "/tmp/kvctl-etcd-snap-\(getpid()).db"
        defer { unlink(path) }
        #expect(Self.run(["snapshot", "save", path], endpoint: etcd.endpoint, grpc: false).code == 0)
        #expect(try ShellCommand.run("etcdctl snapshot status \(path) -w json").output.contains("\"revision\":"))
    }

    @Test func makeMirrorBetweenEtcdAndKVServer() throws {
        guard let etcd = try Self.etcd() else { return }
        defer { etcd.stop() }
        let kvserver = try Running()
        // kvserver → etcd.
        _ = Self.run(["put", "to-etcd/a", "1"], endpoint: kvserver.endpoint, grpc: false)
        let outbound = try PosixThread.spawn(name: "mirror-out") {
            _ = Self.run(["make-mirror", "--prefix", "to-etcd/", etcd.endpoint], endpoint: kvserver.endpoint, grpc: false,
                         interrupted: { _ in (try? etcd.ctl("get to-etcd/c --print-value-only").output) == "3\n" })
        }
        usleep(500_000)
        _ = Self.run(["put", "to-etcd/b", "2"], endpoint: kvserver.endpoint, grpc: false)
        _ = Self.run(["del", "to-etcd/a"], endpoint: kvserver.endpoint, grpc: false)
        _ = Self.run(["put", "to-etcd/c", "3"], endpoint: kvserver.endpoint, grpc: false)
        outbound.join()
        #expect(try etcd.ctl("get to-etcd/ --prefix").output == "to-etcd/b\n2\nto-etcd/c\n3\n")
        // etcd → kvserver.
        _ = try etcd.ctl("put from-etcd/a 1")
        let inbound = try PosixThread.spawn(name: "mirror-in") {
            _ = Self.run(["make-mirror", "--prefix", "from-etcd/", kvserver.endpoint], endpoint: etcd.endpoint, grpc: false,
                         interrupted: { _ in (try? kvserver.server.state.store.get("from-etcd/b")) != nil })
        }
        usleep(500_000)
        _ = try etcd.ctl("put from-etcd/b 2")
        inbound.join()
        #expect(Self.run(["get", "from-etcd/", "--prefix"], endpoint: kvserver.endpoint, grpc: false).out
                == "from-etcd/a\n1\nfrom-etcd/b\n2\n")
    }
}
