import Glibc
import KVPosix
import KVStore
import TestSupport
import Testing
@testable import KVServer

/// Real etcd clients, written by others, against kvserver's gRPC API: etcdctl 3.4 (grpc-go),
/// python-etcd3 (grpcio's C-core) and etcd's Go clientv3. Each test skips, saying why, when its client
/// is not installed (`bash ../shared/clients/install.sh` installs them all).
@Suite(.serialized) struct RealClientTests {
    private static let root = ShellCommand.repositoryRoot

    private static func skip(_ reason: String) {
        print("RealClientTests: skipped — \(reason) (bash ../shared/clients/install.sh installs it)")
    }

    @Test func pythonEtcd3() throws {
        guard ShellCommand.succeeds("/usr/bin/python3 -c 'import etcd3'") else {
            return Self.skip("python3-etcd3 is not installed")
        }
        let server = try TestServer()
        defer { server.stop() }
        let run = try ShellCommand.run("/usr/bin/python3 '\(Self.root)/scripts/clients/python_etcd3_check.py' \(server.endpoint)", seconds: 120)
        print(run.output)
        #expect(run.status == 0)
        #expect(run.output.contains("python-etcd3: 0 failure(s)"))
    }

    @Test func goClientv3() throws {
        guard ShellCommand.succeeds("command -v go && test -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3") else {
            return Self.skip("go or etcd's clientv3 sources (golang-etcd-server-dev) are not installed")
        }
        let binary = "/tmp/kv-clientv3check-\(getpid())"
        let build = try ShellCommand.run("cd '\(Self.root)/scripts/clients/clientv3check' && GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH=/usr/share/gocode go build -o \(binary) .", seconds: 300)
        #expect(build.status == 0, "\(build.output)")
        defer { _ = try? ShellCommand.run("rm -f \(binary)") }
        let server = try TestServer()
        defer { server.stop() }
        let run = try ShellCommand.run("\(binary) \(server.endpoint) 2>&1 | grep -v '^{\"level\"'", seconds: 120)
        print(run.output)
        #expect(run.output.contains("clientv3: 0 failure(s)"))
    }

    /// etcdctl's commands that only a gRPC server can answer: watches (with history, -i), keep-alive,
    /// transactions read from stdin, snapshots, maintenance.
    @Test func etcdctl() throws {
        guard ShellCommand.succeeds("command -v etcdctl") else { return Self.skip("etcdctl is not installed") }
        let server = try TestServer()
        defer { server.stop() }
        let ctl = "ETCDCTL_API=3 etcdctl --endpoints=\(server.endpoint) --command-timeout=10s"
        func run(_ arguments: String, input: String = "", seconds: Int = 20) throws -> ShellCommand {
            try ShellCommand.run("\(ctl) \(arguments)", input: input, seconds: seconds)
        }
        #expect(try run("put a 1").output == "OK\n")
        #expect(try run("put a 2").output == "OK\n")
        #expect(try run("get a --print-value-only").output == "2\n")

        // A watch from revision 1 replays the history, then the stream stays open until killed.
        let watch = try run("watch a --rev=1 --prev-kv", seconds: 2)
        #expect(watch.status == 124)
        #expect(watch.output == "PUT\na\n1\nPUT\na\n1\na\n2\n")
        // `watch -i` reads watch commands from stdin (kept open here, as a user's terminal would be).
        // The timeout signals the whole group: when `sleep` dies first, etcdctl may report the end of its
        // input ("Error reading watch request line: EOF") before its own signal lands, so stderr is dropped.
        let interactive = try ShellCommand.run("(printf 'watch a --rev=3\\n'; sleep 5) | \(ctl) watch -i 2>/dev/null", seconds: 2)
        #expect(interactive.output == "PUT\na\n2\n")

        let txn = try run("txn -i", input: "value(\"a\") = \"2\"\n\nput b yes\n\nput b no\n\n")
        #expect(txn.status == 0)
        #expect(txn.output.hasSuffix("SUCCESS\n\nOK\n"), "\(txn.output)")

        let grant = try run("lease grant 60")
        #expect(grant.status == 0)
        let leaseID = try #require(grant.output.split(separator: " ").dropFirst().first)
        let keepAlive = try run("lease keep-alive --once \(leaseID)")
        #expect(keepAlive.output == "lease \(leaseID) keepalived with TTL(60)\n")
        #expect(try run("lease timetolive \(leaseID)").output.hasPrefix("lease \(leaseID) granted with TTL(60s), remaining("))

        let file = "/tmp/kv-etcdctl-\(getpid()).db"
        defer { _ = try? ShellCommand.run("rm -f \(file) \(file).part") }
        let save = try run("snapshot save \(file)")
        #expect(save.status == 0, "\(save.output)")
        #expect(save.output.contains("Snapshot saved at \(file)"))
        // The file etcdctl saved is ours, with etcd's stream trailer: it restores.
        let restored = try Store.restore(from: try fileSource(file))
        #expect(restored.revision == server.server.state.store.revision)

        #expect(try run("defrag").output == "Finished defragmenting etcd member[\(server.endpoint)]\n")
        #expect(try run("alarm list").output == "")
        #expect(try run("endpoint health").output.contains("\(server.endpoint) is healthy"))
        let status = try run("endpoint status -w json")
        #expect(status.status == 0 && status.output.contains("\"version\":\"3.5.0\""))
        let lock = try run("lock mylock echo locked")
        #expect(lock.output == "locked\n", "\(lock.output)")
        let member = try run("member add two --peer-urls=http://127.0.0.1:1")
        #expect(member.status != 0)
        #expect(member.output.contains("membership cannot change"))
    }

    private func fileSource(_ path: String) throws -> (UnsafeMutableRawBufferPointer) throws -> Int {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PosixError(call: "open", code: errno) }
        return { buffer in
            let count = read(fd, buffer.baseAddress!, buffer.count)
            if count <= 0 { close(fd) }
            return max(0, count)
        }
    }
}
