import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer


private func temporaryDirectory() -> String {
    var template = Array("/tmp/kvserver-data-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

struct DataDirectoryTests {
    @Test func saveAndLoadRoundTrip() throws {
        let directory = DataDirectory(path: temporaryDirectory() + "/data")
        try directory.prepare()
        #expect(try directory.load(configuration: StoreConfiguration()) == nil, "no snapshot yet")
        let store = Store()
        for i in 0..<100 { try store.put("k\(i % 10)", "v\(i)") }
        try store.compact(50)
        let info = try directory.save(store)
        #expect(info.revision == store.revision)
        let (loaded, bytes) = try #require(try directory.load(configuration: StoreConfiguration()))
        #expect(bytes == info.totalBytes)
        #expect(loaded.revision == store.revision && loaded.compactedRevision == 50)
        #expect(try loaded.range(RangeRequest(key: [0], rangeEnd: [0], revision: 60)).kvs
                == store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 60)).kvs)
    }

    @Test func aCorruptSnapshotIsRefusedNotIgnored() throws {
        let directory = DataDirectory(path: temporaryDirectory())
        let store = Store()
        try store.put("a", "1")
        try directory.save(store)
        // Damage one byte in the middle.
        let fd = open(directory.snapshotPath, O_RDWR)
        var byte: UInt8 = 0
        pread(fd, &byte, 1, 70)
        byte ^= 0xff
        pwrite(fd, &byte, 1, 70)
        close(fd)
        #expect(throws: SnapshotError.self) { try directory.load(configuration: StoreConfiguration()) }
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAnError() throws {
        let path = temporaryDirectory() + "/file"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        close(fd)
        #expect(throws: DataDirectoryError.self) { try DataDirectory(path: path).prepare() }
    }

    /// The real binary: data written through the wire survives SIGTERM and a restart, history included.
    @Test func serverSavesOnShutdownAndLoadsOnStart() throws {
        let data = temporaryDirectory() + "/member"
        let first = try ServerProcess(arguments: ["--data-dir", data])
        let client = try KVClient(endpoints: [first.endpoint])
        for i in 0..<50 { _ = try client.call(.put(PutRequest(key: b("key/\(i % 5)"), value: b("value-\(i)")))) }
        _ = try client.call(.deleteRange(DeleteRangeRequest(key: b("key/4"))))
        client.close()
        #expect(first.terminate() == 0)
        var info = stat()
        #expect(stat(data + "/kv.snap", &info) == 0, "the snapshot was saved on SIGTERM")

        let second = try ServerProcess(arguments: ["--data-dir", data])
        let again = try KVClient(endpoints: [second.endpoint])
        guard case .range(let now) = try again.call(.range(RangeRequest(key: b("key/"), rangeEnd: b("key0")))) else {
            Issue.record("range"); return
        }
        #expect(now.kvs.map(\.keyString) == ["key/0", "key/1", "key/2", "key/3"])
        #expect(now.header.revision == 52)
        guard case .range(let past) = try again.call(.range(RangeRequest(key: b("key/4"), revision: 30))) else { return }
        #expect(past.kvs.first?.valueString == "value-24", "history survives the restart")
        again.close()
        #expect(second.terminate() == 0)
    }
}

extension DataDirectoryTests {
    @Test func usersRolesAndTheAuthSwitchSurviveARestart() throws {
        let data = temporaryDirectory() + "/member"
        let arguments = ["--data-dir", data, "--password-hash-iterations", "100", "--auth-failure-delay", "0ms"]
        let first = try ServerProcess(arguments: arguments)
        let admin = try KVClient(endpoints: [first.endpoint])
        for request: AuthRequest in [.userAdd(name: "root", password: "rootpw"), .userAdd(name: "alice", password: "a"),
                                     .roleAdd("reader"),
                                     .roleGrantPermission(role: "reader", permission: Permission(kind: .read, key: b("app/"), rangeEnd: b("app0"))),
                                     .userGrantRole(user: "alice", role: "reader"), .enable] {
            _ = try admin.call(.auth(request))
        }
        admin.close()
        #expect(first.terminate() == 0)

        let second = try ServerProcess(arguments: arguments)
        let anonymous = try KVClient(endpoints: [second.endpoint])
        #expect(throws: ClientError.self) { try anonymous.call(.range(RangeRequest(key: b("app/x")))) }
        anonymous.close()
        let alice = try KVClient(endpoints: [second.endpoint], credentials: KVClient.Credentials(name: "alice", password: "a"))
        _ = try alice.call(.range(RangeRequest(key: b("app/x"))))
        do {
            _ = try alice.call(.put(PutRequest(key: b("app/x"), value: b("1"))))
            Issue.record("alice may only read")
        } catch {
            #expect(error.wire == .auth(.permissionDenied))
        }
        alice.close()
        #expect(throws: ClientError.self) {
            _ = try KVClient(endpoints: [second.endpoint], credentials: KVClient.Credentials(name: "alice", password: "wrong"))
        }
        #expect(second.terminate() == 0)
    }
}

struct SnapshotStreamingTests {
    @Test func clientStreamsAVerifiableSnapshot() throws {
        let server = try TestServer()
        let client = try server.client()
        for i in 0..<3000 { _ = try client.call(.put(PutRequest(key: Array("k/\(i % 700)".utf8), value: [UInt8](repeating: UInt8(i % 251), count: 300)))) }
        var bytes: [UInt8] = []
        let result = try client.snapshot { bytes += $0 }
        #expect(result.revision == 3001)
        #expect(Int64(bytes.count) == result.size)
        #expect(bytes.count > 3 * 256 * 1024, "several chunks were streamed")
        let info = try Store.inspectSnapshot(from: source(bytes))
        #expect(info.sha256 == result.sha256 && info.revision == 3001 && info.keyCount == 700)
        let restored = try Store.restore(from: source(bytes))
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).kvs == server.store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs)
        // A past revision, and a compacted one refused with etcd's message.
        let past = try client.snapshot(revision: 100) { _ in }
        #expect(past.revision == 100)
        _ = try client.call(.compact(CompactionRequest(revision: 200)))
        #expect(throws: ClientError.self) { try client.snapshot(revision: 100) { _ in } }
        // SNAPSHOT-NEXT without SNAPSHOT is a clear error, and the connection goes on.
        #expect(throws: ClientError.self) { try client.call(.snapshotNext) }
        guard case .range = try client.call(.range(RangeRequest(key: Array("k/1".utf8)))) else { Issue.record("range"); return }
        server.stop()
    }

    /// SNAPSHOT-NEXT sends at most 256 KiB of the file per reply, even when one record (a key with a
    /// 2 MiB value) is larger: the record is split across replies.
    @Test func chunksStayWithinTheDocumentedSizeWhateverTheRecords() throws {
        let server = try TestServer { $0.maxRequestBytes = 3 << 20 }
        defer { server.stop() }
        let client = try server.client()
        _ = try client.call(.put(PutRequest(key: Array("big".utf8), value: [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20))))
        _ = try client.call(.put(PutRequest(key: Array("small".utf8), value: Array("v".utf8))))
        var sizes: [Int] = []
        var bytes: [UInt8] = []
        let result = try client.snapshot { chunk in
            sizes.append(chunk.count)
            bytes += chunk
        }
        #expect(sizes.allSatisfy { $0 <= Service.snapshotChunkBytes }, "\(sizes)")
        #expect(sizes.dropLast().allSatisfy { $0 == Service.snapshotChunkBytes })
        #expect(Int64(bytes.count) == result.size)
        let restored = try Store.restore(from: source(bytes))
        #expect(try restored.get("big")?.value.count == 2 << 20)
    }

    private func source(_ bytes: [UInt8]) -> (UnsafeMutableRawBufferPointer) throws -> Int {
        var offset = 0
        return { buffer in
            let n = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
            offset += n
            return n
        }
    }
}

/// Saves interrupted by `kill -9` leave `kv.snap.tmp-<pid>-<n>` files as large as the store; the next
/// start removes them (and only them).
struct StaleTemporaryFileTests {
    private func names(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private func temporaries(in directory: String) -> [String] { names(in: directory).filter { $0.hasPrefix("kv.snap.tmp-") } }

    /// Five servers in turn are killed in the middle of a background save; each start finds the file
    /// the previous one left and removes it, so at most one is ever there, and none after a clean start.
    @Test func killedSavesLeaveNoTemporaryFilesBehind() throws {
        let data = temporaryDirectory() + "/member"
        let arguments = ["--data-dir", data, "--snapshot-count", "1"]
        // 12 MiB, saved on SIGTERM: a save takes long enough to be caught in progress.
        let first = try ServerProcess(arguments: arguments)
        let loader = try KVClient(endpoints: [first.endpoint], commandTimeout: .seconds(30))
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 1 << 20)
        for i in 0..<12 { _ = try loader.call(.put(PutRequest(key: b("big/\(i)"), value: value))) }
        loader.close()
        #expect(first.terminate() == 0)
        var caught = 0
        for round in 0..<5 {
            let server = try ServerProcess(arguments: arguments)
            #expect(temporaries(in: data).isEmpty, "round \(round): the file of the killed save was removed at start")
            let client = try KVClient(endpoints: [server.endpoint], commandTimeout: .seconds(30))
            // Each write makes the scheduler save within 200 ms; kill the server while a save is under way.
            var killed = false
            for attempt in 0..<40 where !killed {
                _ = try client.call(.put(PutRequest(key: b("round/\(round)"), value: b("\(attempt)"))))
                let deadline = Posix.monotonicNanoseconds() + 1_000_000_000
                while Posix.monotonicNanoseconds() < deadline {
                    if !temporaries(in: data).isEmpty {
                        server.kill()
                        killed = true
                        break
                    }
                    var pause = timespec(tv_sec: 0, tv_nsec: 200_000)
                    nanosleep(&pause, nil)
                }
            }
            client.close()
            if killed { caught += 1 } else { _ = server.terminate() }
            #expect(temporaries(in: data).count <= 1)
        }
        #expect(caught == 5, "every round killed a save in progress")
        let last = try ServerProcess(arguments: arguments)
        #expect(temporaries(in: data).isEmpty)
        let client = try KVClient(endpoints: [last.endpoint])
        guard case .range(let big) = try client.call(.range(RangeRequest(key: b("big/"), rangeEnd: b("big0"), countOnly: true))) else {
            Issue.record("range"); return
        }
        #expect(big.count == 12, "the last complete snapshot was loaded")
        client.close()
        #expect(last.terminate() == 0)
    }

    /// Only names the server itself makes are removed, and only when their process is gone (or is the
    /// starting server itself, which has not saved yet).
    @Test func onlyStaleFilesOfTheServerAreRemoved() throws {
        let path = temporaryDirectory()
        let directory = DataDirectory(path: path)
        // A process that has exited: its pid names no running process.
        var child: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        #expect(posix_spawn(&child, "/bin/true", nil, nil, &argv, environ) == 0)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let files: [(String, Bool)] = [
            ("kv.snap.tmp-\(child)-0", true),
            ("kv.snap.tmp-\(child)-123456", true),
            ("kv.snap.tmp-\(getpid())-7", true),
            ("kv.snap.tmp-1-2", false),                    // pid 1 runs
            ("kv.snap.tmp-\(child)", false),
            ("kv.snap.tmp-\(child)-1-2", false),
            ("kv.snap.tmp-\(child)-x", false),
            ("kv.snap.tmp-+\(child)-1", false),
            ("kv.snap.tmp--1-1", false),
            ("kv.snap.tmp-notes", false),
            ("other.snap.tmp-\(child)-1", false),
            ("kv.snap", false),
            ("kv.snap.bak", false),
        ]
        for (name, _) in files {
            let fd = open(path + "/" + name, O_CREAT | O_WRONLY, 0o600)
            #expect(write(fd, "data", 4) == 4)
            close(fd)
        }
        #expect(mkdir(path + "/kv.snap.tmp-\(child)-9", 0o700) == 0, "a directory of that name is not a file to remove")
        let removed = try directory.removeStaleTemporaryFiles()
        #expect(Set(removed.map(\.name)) == Set(files.filter(\.1).map(\.0)))
        #expect(removed.allSatisfy { $0.bytes == 4 })
        #expect(names(in: path) == (files.filter { !$0.1 }.map(\.0) + ["kv.snap.tmp-\(child)-9"]).sorted())
    }
}
