import Glibc
import KVPosix
import KVStore
import TestSupport
import Testing

/// Backups crossing between kvserver and a real etcd 3.4 with etcd's own tools (docs/ETCD-SNAPSHOT.md):
/// kvserver → `etcdctl snapshot save` → `snapshot status` → `snapshot restore` → `etcd` on that data
/// dir answers as kvserver did; and etcd → `etcdctl snapshot save` → `kvserver --data-dir` answers as
/// etcd did. Skipped, with the reason printed, when etcd or etcdctl is not installed.
@Suite(.serialized) struct EtcdSnapshotToolTests {
    private static func skip(_ reason: String) {
        print("EtcdSnapshotToolTests: skipped — \(reason)")
    }

    private static var toolsPresent: Bool { RealEtcd.isInstalled }

    private static func ctl(_ endpoint: String, _ arguments: String, input: String = "") throws -> ShellCommand {
        try ShellCommand.run("ETCDCTL_API=3 etcdctl --endpoints=\(endpoint) --command-timeout=10s \(arguments)", input: input, seconds: 30)
    }

    /// The `kvs` of a JSON `get` reply (the header names the cluster and member, which differ).
    private static func kvs(_ output: String) -> String {
        guard let start = output.firstRange(of: "\"kvs\":") else { return output.contains("\"count\"") ? "[]" : output }
        return String(output[start.lowerBound...])
    }

    /// What the tests compare between the two servers.
    private static func answers(_ endpoint: String, revisions: [Int64]) throws -> [String] {
        var result = [kvs(try ctl(endpoint, "get '' --prefix -w json").output)]
        for revision in revisions {
            result.append("rev \(revision): " + kvs(try ctl(endpoint, "get '' --prefix -w json --rev=\(revision)").output))
        }
        result.append(try ctl(endpoint, "lease list").output.split(separator: "\n").sorted().joined(separator: "\n"))
        result.append(try ctl(endpoint, "user list").output)
        result.append(try ctl(endpoint, "role list").output)
        for user in try ctl(endpoint, "user list").output.split(separator: "\n") {
            result.append(try ctl(endpoint, "user get \(user)").output)
        }
        for role in try ctl(endpoint, "role list").output.split(separator: "\n") {
            result.append(try ctl(endpoint, "role get \(role)").output)
        }
        return result
    }

    /// A seeded history through etcdctl: puts, overwrites, deletes (single and prefix), transactions,
    /// a compaction, leases with keys, users and roles. Returns the compaction revision.
    private static func writeHistory(_ endpoint: String, seed: UInt64) throws -> Int64 {
        var rng = SystemRandomNumberGenerator()
        _ = rng
        var state = seed
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        for step in 0..<60 {
            let key = "k/\(next(12))"
            switch next(8) {
            case 0..<4: #expect(try ctl(endpoint, "put \(key) v\(step)").status == 0)
            case 4: _ = try ctl(endpoint, "del \(key)")
            case 5: _ = try ctl(endpoint, "del k/1 --prefix")
            case 6: _ = try ctl(endpoint, "txn", input: "\nput \(key) t\(step)\nput x/\(step) y\n\n\n")
            default: _ = try ctl(endpoint, "put big/\(step) \(String(repeating: "z", count: 3000 + next(3000)))")
            }
        }
        let compactAt = Int64(30)
        #expect(try ctl(endpoint, "compact \(compactAt)").status == 0)
        let grant = try ctl(endpoint, "lease grant 3600").output
        let lease = grant.split(separator: " ").dropFirst().first.map(String.init) ?? "0"
        #expect(try ctl(endpoint, "put leased/a 1 --lease=\(lease)").status == 0)
        #expect(try ctl(endpoint, "put leased/b 2 --lease=\(lease)").status == 0)
        _ = try ctl(endpoint, "lease grant 7200")
        for step in 0..<10 { _ = try ctl(endpoint, "put k/\(next(12)) after\(step)") }
        #expect(try ctl(endpoint, "user add root --new-user-password=rootpw").status == 0)
        #expect(try ctl(endpoint, "user add alice --new-user-password=alicepw").status == 0)
        #expect(try ctl(endpoint, "role add reader").status == 0)
        #expect(try ctl(endpoint, "role grant-permission reader read k/ --prefix").status == 0)
        #expect(try ctl(endpoint, "role grant-permission reader readwrite x").status == 0)
        #expect(try ctl(endpoint, "user grant-role alice reader").status == 0)
        return compactAt
    }

    @Test func kvserverToEtcd() throws {
        guard Self.toolsPresent else { return Self.skip("etcd or etcdctl is not installed") }
        let directory = "/tmp/kv-etcd-export-\(getpid())"
        _ = try ShellCommand.run("rm -rf \(directory) && mkdir -p \(directory)")
        defer { _ = try? ShellCommand.run("rm -rf \(directory)") }
        let server = try ServerProcess(arguments: [])
        let compacted = try Self.writeHistory(server.endpoint, seed: 1)
        let current = try #require(Int64(Self.kvs(try Self.ctl(server.endpoint, "get '' --prefix -w json --limit=1").output).isEmpty ? "" :
            String(try Self.ctl(server.endpoint, "endpoint status -w json").output.split(separator: "\"revision\":")[1].prefix { $0.isNumber })))
        let revisions = [compacted, compacted + 1, (compacted + current) / 2, current]
        let expected = try Self.answers(server.endpoint, revisions: revisions)
        let file = directory + "/backup.db"
        let save = try Self.ctl(server.endpoint, "snapshot save \(file)")
        _ = server.terminate()
        #expect(save.status == 0, "\(save.output)")

        // etcdctl's own status: its hash, revision and key count are what kvctl computes.
        let status = try ShellCommand.run("etcdctl snapshot status \(file) -w json")
        #expect(status.status == 0, "\(status.output)")
        let info = try Store.inspectSnapshot(from: try fileSource(file))
        #expect(info.format == .etcd)
        #expect(status.output.contains("\"hash\":\(info.hash),\"revision\":\(info.revision),\"totalKey\":\(info.statusKeyCount),\"totalSize\":\(info.totalBytes)"),
                "etcdctl: \(status.output) kvserver: \(info)")
        #expect(info.revision == current)

        let peer = try ServerProcess.freePort()
        let restore = try ShellCommand.run("etcdctl snapshot restore \(file) --data-dir \(directory)/etcd --name default --initial-cluster default=http://127.0.0.1:\(peer) --initial-advertise-peer-urls http://127.0.0.1:\(peer)")
        #expect(restore.status == 0, "\(restore.output)")
        let etcd = try RealEtcd(dataDir: directory + "/etcd", peerPort: peer)
        defer { etcd.stop() }
        let got = try Self.answers(etcd.endpoint, revisions: revisions)
        #expect(got == expected)
        Self.expectSubstantial(expected)
        let old = try Self.ctl(etcd.endpoint, "get k/1 --rev=\(compacted - 1)")
        #expect(old.output.contains("required revision has been compacted"))
        // etcd goes on from there: a write gets the next revision.
        let put = try Self.ctl(etcd.endpoint, "put after restore -w json")
        #expect(put.output.contains("\"revision\":\(current + 1)"), "\(put.output)")
    }

    @Test func etcdToKvserver() throws {
        guard Self.toolsPresent else { return Self.skip("etcd or etcdctl is not installed") }
        let directory = "/tmp/kv-etcd-import-\(getpid())"
        _ = try ShellCommand.run("rm -rf \(directory) && mkdir -p \(directory)/kv")
        defer { _ = try? ShellCommand.run("rm -rf \(directory)") }
        let etcd = try RealEtcd(dataDir: directory + "/etcd")
        let compacted = try Self.writeHistory(etcd.endpoint, seed: 2)
        let current = try #require(Int64(String(try Self.ctl(etcd.endpoint, "endpoint status -w json").output
            .split(separator: "\"revision\":")[1].prefix { $0.isNumber })))
        let revisions = [compacted, compacted + 1, (compacted + current) / 2, current]
        let expected = try Self.answers(etcd.endpoint, revisions: revisions)
        let file = directory + "/backup.db"
        let save = try Self.ctl(etcd.endpoint, "snapshot save \(file)")
        etcd.stop()
        #expect(save.status == 0, "\(save.output)")

        // kvctl's status reads etcd's file as etcdctl does.
        let status = try ShellCommand.run("etcdctl snapshot status \(file) -w json")
        let info = try Store.inspectSnapshot(from: try fileSource(file))
        #expect(status.output.contains("\"hash\":\(info.hash),\"revision\":\(info.revision),\"totalKey\":\(info.statusKeyCount),\"totalSize\":\(info.totalBytes)"),
                "etcdctl: \(status.output) kvserver: \(info)")

        // The file as a data dir's snapshot: kvserver starts from it.
        _ = try ShellCommand.run("cp \(file) \(directory)/kv/kv.snap")
        let server = try ServerProcess(arguments: ["--data-dir", directory + "/kv"])
        defer { _ = server.terminate() }
        let got = try Self.answers(server.endpoint, revisions: revisions)
        #expect(got == expected)
        Self.expectSubstantial(expected)
        #expect(try Self.ctl(server.endpoint, "get k/1 --rev=\(compacted - 1)").output.contains("required revision has been compacted"))
        let put = try Self.ctl(server.endpoint, "put after restore -w json")
        #expect(put.output.contains("\"revision\":\(current + 1)"), "\(put.output)")
        // Leases keep counting down from what etcd had (etcd 3.4 keeps no remaining TTL: the whole TTL).
        let leases = try Self.ctl(server.endpoint, "lease list").output.split(separator: "\n").dropFirst()
        for lease in leases {
            let ttl = try Self.ctl(server.endpoint, "lease timetolive \(lease) --keys").output
            #expect(ttl.contains("granted with TTL(3600s)") || ttl.contains("granted with TTL(7200s)"), "\(ttl)")
        }
    }

    /// The compared answers are not trivially equal: keys, history, two leases, two users, a role.
    private static func expectSubstantial(_ answers: [String]) {
        #expect(answers[0].contains("\"key\":") && answers[0].count > 2000, "\(answers[0].prefix(200))")
        #expect(answers[5].contains("found 2 leases"), "\(answers[5])")
        #expect(answers[6] == "alice\nroot\n" && answers[7] == "reader\n", "\(answers[6]) \(answers[7])")
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
