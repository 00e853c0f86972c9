import Testing
import Glibc
import KVStore
import KVProtocol
import KVPosix
@testable import KVServer
@testable import KVCtlCore

/// Issue 17: etcdctl's commands and behaviours kvctl lacked, each against a real server on an ephemeral port.
@Suite(.serialized) struct DropInTests {
    final class Running: @unchecked Sendable {
        let server: Server
        let endpoint: String
        init(quota: Int64 = 0) throws {
            var config = ServerConfig()
            config.listenClientURLs = ["127.0.0.1:0"]
            config.quotaBackendBytes = quota
            server = Server(config: config, clock: SystemClock(), logger: Logger(level: .error, fd: -1))
            endpoint = try server.start()[0].description
        }
        deinit { server.stop() }

        func run(_ args: [String], stdin: String = "", env: [String: String] = [:], endpoints: Bool = true,
                 interrupted: (@Sendable (Console) -> Bool)? = nil) -> RunResult {
            let console = Console.captured(input: Array(stdin.utf8))
            if let interrupted { console.interrupted = { [unowned console] in interrupted(console) } }
            let code = KVCtl.run((endpoints ? ["--endpoints=\(endpoint)"] : []) + args, program: "etcdctl", environment: env,
                                 console: console, connector: ClientBackend.connect)
            return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
        }
    }

    static func temporaryDirectory() -> String {
        var template = Array("/tmp/kvctl-dropin-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits (bounded) for `condition`.
    static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + Int64(seconds * 1e9)
        while monotonicNanoseconds() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    // MARK: environment, TLS, errors

    @Test func snapshotSaveReadsTheEnvironment() throws {
        let s = try Running()
        let dir = Self.temporaryDirectory()
        for variable in ["ETCDCTL_ENDPOINTS", "KVCTL_ENDPOINTS"] {
            let r = s.run(["snapshot", "save", "\(dir)/\(variable).snap"], env: [variable: s.endpoint], endpoints: false)
            #expect(r.code == 0 && r.out == "Snapshot saved at \(dir)/\(variable).snap\n", "\(variable): \(r.err)")
        }
    }

    @Test func snapshotSaveIntoAMissingDirectory() throws {
        let s = try Running()
        let r = s.run(["snapshot", "save", "/nonexistent-dir/x.snap"])
        #expect(r.code == 5)
        #expect(r.err == "Error: could not open /nonexistent-dir/x.snap.part (open /nonexistent-dir/x.snap.part: no such file or directory)\n")
    }

    /// TLS settings that cannot be used fail before any connection (etcdctl's texts, exit 128), and a
    /// TLS flag with an `http://` endpoint is refused rather than ignored (etcdctl would speak plaintext).
    @Test func unusableTLSSettingsFailBeforeAnyConnection() throws {
        var connected = false
        func run(_ args: [String], env: [String: String] = [:]) -> RunResult {
            let console = Console.captured()
            let code = KVCtl.run(args, program: "etcdctl", environment: env, console: console,
                                 connector: { _, _, _, _, _ throws(BackendError) in connected = true; throw .unavailable })
            return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
        }
        let cases: [([String], String)] = [
            (["--cacert=/nonexistent/ca.pem", "get", "foo"], "open /nonexistent/ca.pem: no such file or directory"),
            (["--cert=/etc/hostname", "get", "foo"], "KeyFile and CertFile must both be present[key: , cert: /etc/hostname]"),
            (["--key=/etc/hostname", "get", "foo"], "KeyFile and CertFile must both be present[key: /etc/hostname, cert: ]"),
            (["--cacert=/tmp", "get", "foo"], "read /tmp: is a directory"),
            (["--cert=/etc/hostname", "--key=/etc/hostname", "put", "a", "b"], "tls: failed to find any PEM data in certificate input"),
            (["--cacert=/etc/hostname", "get", "foo"], "x509: no PEM certificate in CA file /etc/hostname"),
            (["--insecure-skip-tls-verify", "--endpoints=http://127.0.0.1:2379", "endpoint", "health"],
             "--insecure-skip-tls-verify asks for TLS, but endpoint http://127.0.0.1:2379 is plaintext (http://); use https:// or leave out the TLS flags"),
        ]
        for (args, message) in cases {
            let r = run(args)
            #expect(r.code == 128, "\(args)")
            #expect(r.err == "Error: \(message)\n", "\(args)")
        }
        #expect(run(["get", "foo"], env: ["ETCDCTL_CACERT": "/nonexistent/ca.pem"]).code == 128)
        #expect(run(["get", "foo"], env: ["KVCTL_CACERT": "/nonexistent/ca.pem"]).code == 128)
        #expect(!connected)
        // The offline commands never read the TLS settings.
        #expect(run(["--cacert=/nonexistent/ca.pem", "version"]).code == 0)
    }

    @Test func serverDownNamesTheAddress() throws {
        let console = Console.captured()
        let code = KVCtl.run(["--endpoints=127.0.0.1:1", "--debug", "get", "foo"], environment: [:], console: console,
                             connector: ClientBackend.connect)
        #expect(code == 1)
        let err = console.capturedErr
        #expect(err.contains("ETCDCTL_ENDPOINTS=[127.0.0.1:1]\n"))
        #expect(err.contains("{\"level\":\"warn\""))
        #expect(err.contains("transport: Error while dialing dial tcp 127.0.0.1:1: connect: connection refused"))
        #expect(err.hasSuffix("Error: context deadline exceeded\n"))
    }

    @Test func endpointStatusJSONHasTheSizesOnAFreshServer() throws {
        let s = try Running()
        let json = s.run(["endpoint", "status", "-w", "json"]).out
        #expect(json.contains("\"dbSize\":4096,"))
        #expect(json.contains("\"dbSizeInUse\":4096"))
    }

    @Test func compactionCanceledWatchJSONHeaderHasNoRevision() throws {
        let s = try Running()
        for value in ["1", "2"] { _ = s.run(["put", "foo", value]) }
        #expect(s.run(["compaction", "3"]).code == 0)
        let r = s.run(["watch", "foo", "--rev", "1", "-w", "json"])
        #expect(r.code == 5)
        #expect(r.out.hasPrefix("{\"Header\":{\"cluster_id\":") && !r.out.contains("\"revision\""))
        #expect(r.out.hasSuffix(",\"raft_term\":2},\"Events\":[],\"CompactRevision\":3,\"Canceled\":true,\"Created\":false}\n"))
    }

    @Test func interactiveWatchStartsWatches() throws {
        let store = Store()
        let backend = StoreBackend(store: store)
        backend.scriptedWatch = [WatchResponse(header: ResponseHeader(revision: 2), watchID: 1, events: [
            Event(type: .put, kv: KeyValue(key: Array("foo".utf8), value: Array("bar".utf8), createRevision: 2, modRevision: 2, version: 1)),
        ])]
        let r = kvctl(["watch", "-i"], stdin: "watch foo\nwatch foo --prefix --rev 2\nwatch\nfrob x\n", backend: backend)
        #expect(!r.err.contains("Invalid command watch foo"))
        #expect(r.out.hasPrefix("PUT\nfoo\nbar\n"))
        #expect(r.err.contains("Invalid command watch (command type or key is not provided)\n"))
        #expect(r.err.contains("Invalid command frob (only support watch)\n"))
    }

    // MARK: defrag, alarm, membership

    @Test func defragAndAlarms() throws {
        let s = try Running(quota: 64 * 1024)
        #expect(s.run(["defrag"]).out == "Finished defragmenting etcd member[\(s.endpoint)]\n")
        #expect(s.run(["alarm", "list"]) .out == "")
        #expect(s.run(["alarm", "list", "-w", "json"]).out == "{}\n")
        let big = String(repeating: "x", count: 40 * 1024)
        _ = s.run(["put", "a", big])
        let over = s.run(["put", "b", big])
        #expect(over.err == "Error: etcdserver: mvcc: database space exceeded\n")
        let memberID = s.server.state.identity.memberID
        #expect(s.run(["alarm", "list"]).out == "memberID:\(memberID) alarm:NOSPACE \n")
        #expect(s.run(["alarm", "list", "-w", "json"]).out == "{\"alarms\":[{\"memberID\":\(memberID),\"alarm\":1}]}\n")
        _ = s.run(["del", "a"])
        let revision = s.server.state.store.revision
        _ = s.run(["compaction", String(revision)])
        #expect(s.run(["alarm", "disarm"]).out == "memberID:\(memberID) alarm:NOSPACE \n")
        #expect(s.run(["alarm", "list"]).out == "")
        #expect(s.run(["put", "c", "small"]).out == "OK\n")
        #expect(s.run(["alarm", "list", "x"]).err == "Error: alarm list command accepts no arguments\n")
    }

    @Test func membershipChangesGiveTheServersErrors() throws {
        let s = try Running()
        let own = String(s.server.state.identity.memberID, radix: 16)
        #expect(MembershipCommands.singleMember == EtcdMaintenance.singleMember.message)
        #expect(MembershipCommands.memberNotFound == EtcdMaintenance.memberNotFound.message)
        #expect(MembershipCommands.notLearner == EtcdMaintenance.notLearner.message)
        #expect(MembershipCommands.badLeaderTransferee == EtcdMaintenance.badLeaderTransferee.message)
        let cases: [([String], String, Int32)] = [
            (["member", "add", "m2", "--peer-urls=http://10.0.0.2:2380"], MembershipCommands.singleMember, 1),
            (["member", "add", "m2"], "member peer urls not provided", 128),
            (["member", "remove", own], MembershipCommands.singleMember, 1),
            (["member", "remove", "1234"], MembershipCommands.memberNotFound, 1),
            (["member", "remove", "zz"], "bad member ID arg (strconv.ParseUint: parsing \"zz\": invalid syntax), expecting ID in Hex", 128),
            (["member", "update", own, "--peer-urls=http://10.0.0.2:2380"], MembershipCommands.singleMember, 1),
            (["member", "promote", own], MembershipCommands.notLearner, 1),
            (["member", "promote", "1234"], MembershipCommands.memberNotFound, 1),
            (["move-leader", own], MembershipCommands.badLeaderTransferee, 1),
            (["move-leader"], "move-leader command needs 1 argument", 128),
        ]
        for (args, message, code) in cases {
            let r = s.run(args)
            #expect(r.err == "Error: \(message)\n" && r.code == code, "\(args): \(r.err)")
        }
    }

    // MARK: lock, elect, make-mirror

    @Test func lockRunsTheCommandWhileHoldingAndWaitsItsTurn() throws {
        let s = try Running()
        let dir = Self.temporaryDirectory()
        let first = s.run(["lock", "mylock", "--", "sh", "-c", "echo \"$ETCD_LOCK_KEY $ETCD_LOCK_REV\" > \(dir)/first"])
        #expect(first.code == 0, "\(first.err)")
        let held = try #require(Self.readFile("\(dir)/first"))
        #expect(held.hasPrefix("mylock/") && held.hasSuffix(" 2\n"))
        #expect(s.run(["get", "mylock", "--prefix"]).out == "")

        // Someone else holds it: the next locker waits for that key to go.
        let grant = s.run(["lease", "grant", "60"]).out
        let lease = String(grant.dropFirst(6).prefix(16))
        #expect(s.run(["put", "mylock/0holder", "", "--lease=\(lease)"]).code == 0)
        let thread = try PosixThread.spawn(name: "test") {
            _ = s.run(["lock", "mylock", "--", "sh", "-c", "echo got > \(dir)/second"])
        }
        usleep(500_000)
        #expect(Self.readFile("\(dir)/second") == nil)
        #expect(s.run(["del", "mylock/0holder"]).out == "1\n")
        #expect(Self.eventually { Self.readFile("\(dir)/second") == "got\n" })
        thread.join()
    }

    @Test func lockPrintsItsKeyAndReleasesOnInterrupt() throws {
        let s = try Running()
        let r = s.run(["lock", "l1"], interrupted: { !$0.stdout.isEmpty })
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("l1/") && r.out.hasSuffix("\n\n"))
        #expect(s.run(["get", "l1", "--prefix"]).out == "")
    }

    @Test func electCampaignsObservesAndResigns() throws {
        let s = try Running()
        let r = s.run(["elect", "el", "p1"], interrupted: { !$0.stdout.isEmpty })
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("el/") && r.out.hasSuffix("\np1\n"))
        #expect(s.run(["get", "el", "--prefix"]).out == "")   // resigned

        #expect(s.run(["put", "el/1", "leader-a"]).code == 0)
        let observed = s.run(["elect", "-l", "el"], interrupted: { !$0.stdout.isEmpty })
        #expect(observed.out == "el/1\nleader-a\n")
        #expect(s.run(["elect", "el"]).err == "Error: \(ElectCommand.usage)\n")
    }

    @Test func makeMirrorCopiesThenFollows() throws {
        let source = try Running()
        let destination = try Running()
        _ = source.run(["put", "m/a", "1"])
        _ = source.run(["put", "other", "x"])
        let thread = try PosixThread.spawn(name: "test") {
            _ = source.run(["make-mirror", "--prefix", "m/", "--dest-prefix", "n/", destination.endpoint], interrupted: { _ in
                destination.server.state.store.revision >= 4
            })
        }
        #expect(Self.eventually { (try? destination.server.state.store.get("n/a")) != nil })
        _ = source.run(["put", "m/b", "2"])
        _ = source.run(["del", "m/a"])
        thread.join()
        #expect(destination.run(["get", "", "--from-key"]).out == "n/b\n2\n")
    }

    // MARK: check

    @Test func checkPerfAndDatascale() throws {
        let s = try Running()
        let perf = s.run(["check", "perf", "--duration", "1"])
        #expect(perf.code == 0, "\(perf.out)\(perf.err)")
        let lines = perf.out.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("PASS: Throughput is ") && lines[1].hasPrefix("PASS: Slowest request took ")
                && lines[2].hasPrefix("PASS: Stddev is ") && lines[3] == "PASS")
        #expect(s.run(["get", "/etcdctl-check-perf/", "--prefix", "--count-only"]).out.isEmpty
                || !s.run(["get", "/etcdctl-check-perf/", "--prefix", "--keys-only"]).out.contains("/"))
        let scale = s.run(["check", "datascale", "--count", "500"])
        #expect(scale.code == 0, "\(scale.err)")
        #expect(scale.out.hasPrefix("Start data scale check for work load [500 key-value pairs, 1024 bytes per key-value, 50 concurrent clients].\nPASS: Approximate system memory used : "))
        _ = s.run(["put", "/etcdctl-check-perf/x", "y"])
        let busy = s.run(["check", "perf"])
        #expect(busy.code == 3 && busy.err == "Error: prefix \"/etcdctl-check-perf/\" has keys. Delete with etcdctl del --prefix /etcdctl-check-perf/ first\n")
        #expect(s.run(["check", "perf", "--load=bogus"]).code == 4)
    }

    static func productsDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var dir = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        repeat { dir = AtomicFile.parentDirectory(of: dir) } while dir.contains(".xctest")
        return dir
    }
}
