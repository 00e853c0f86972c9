import Glibc
import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVCtlCore
@testable import KVServer

/// Runs kvctl's code path against a real server over loopback.
private func run(_ args: [String], endpoint: String) -> RunResult {
    let console = Console.captured(input: [])
    let code = KVCtl.run(["--endpoints", endpoint] + args, program: "kvctl", environment: [:], console: console,
                         connector: ClientBackend.connect)
    return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
}

private func temporaryDirectory() -> String {
    var template = Array("/tmp/kvctl-snapshot-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

private func startServer(dataDir: String? = nil) throws -> (Server, String) {
    var config = ServerConfig()
    config.listenClientURLs = ["127.0.0.1:0"]
    var store: Store? = nil
    if let dataDir {
        config.dataDir = dataDir
        let directory = DataDirectory(path: dataDir)
        store = try directory.load(configuration: ServerState.storeConfiguration(config: config, clock: SystemClock()))?.store
    }
    let server = Server(config: config, logger: Logger(level: .error, fd: -1), store: store)
    let addresses = try server.start()
    return (server, addresses[0].description)
}

struct SnapshotEndToEndTests {
    /// Data put through kvctl → `snapshot save` → server stopped → `snapshot restore` into a new data
    /// dir → a server started on it answers everything, history included.
    @Test func saveRestoreAndServeAgain() throws {
        let (first, endpoint) = try startServer()
        for i in 0..<40 {
            #expect(run(["put", "app/key\(i % 8)", "value-\(i)"], endpoint: endpoint).code == 0)
        }
        #expect(run(["del", "app/key7"], endpoint: endpoint).code == 0)
        let lease = run(["lease", "grant", "600"], endpoint: endpoint)
        let leaseID = String(lease.out.split(separator: " ")[1])
        #expect(run(["put", "app/session", "alive", "--lease=\(leaseID)"], endpoint: endpoint).code == 0)
        #expect(run(["compaction", "10"], endpoint: endpoint).code == 0)
        let before = run(["get", "app/", "--prefix", "-w", "json"], endpoint: endpoint)
        let pastBefore = run(["get", "app/key3", "--rev", "20"], endpoint: endpoint)

        let dir = temporaryDirectory()
        let file = dir + "/backup.snap"
        let saved = run(["snapshot", "save", file], endpoint: endpoint)
        #expect(saved.code == 0, "\(saved.err)")
        #expect(saved.out == "Snapshot saved at \(file)\n")
        first.stop()

        let status = run(["snapshot", "status", file, "-w", "json"], endpoint: endpoint)
        #expect(status.code == 0)
        #expect(status.out.contains("\"revision\":43"), "\(status.out)")
        let table = run(["snapshot", "status", file, "-w", "table"], endpoint: endpoint)
        // The HASH column is as wide as the hash's decimal digits (8 to 10).
        let tableLines = table.out.split(separator: "\n")
        #expect(tableLines.count == 5, "\(table.out)")
        #expect(tableLines.count > 1 && tableLines[1].hasPrefix("|") && tableLines[1].contains(" HASH ")
                && tableLines[1].hasSuffix("| REVISION | TOTAL KEYS | TOTAL SIZE |"), "\(table.out)")

        let dataDir = dir + "/member"
        let restored = run(["snapshot", "restore", file, "--data-dir", dataDir], endpoint: endpoint)
        #expect(restored.code == 0 && restored.out.isEmpty, "\(restored.err)")
        let again = run(["snapshot", "restore", file, "--data-dir", dataDir], endpoint: endpoint)
        #expect(again.code == 1 && again.err == "Error: data-dir \"\(dataDir)\" exists\n")

        let (second, endpoint2) = try startServer(dataDir: dataDir)
        defer { second.stop() }
        let after = run(["get", "app/", "--prefix", "-w", "json"], endpoint: endpoint2)
        // Same keys, values and revisions (the member and cluster IDs are the new server's, like etcd's restore).
        #expect(stripHeader(after.out) == stripHeader(before.out))
        #expect(run(["get", "app/key3", "--rev", "20"], endpoint: endpoint2).out == pastBefore.out)
        let compacted = run(["get", "app/key3", "--rev", "5"], endpoint: endpoint2)
        #expect(compacted.code == 1 && compacted.err.contains("required revision has been compacted"))
        let ttl = run(["lease", "timetolive", leaseID, "--keys"], endpoint: endpoint2)
        #expect(ttl.out.contains("attached keys([app/session])"), "\(ttl.out)")
    }

    @Test func badFilesAreRefusedClearly() throws {
        let dir = temporaryDirectory()
        let missing = run(["snapshot", "status", dir + "/nope.snap"], endpoint: "127.0.0.1:1")
        #expect(missing.code == 1 && missing.err == "Error: stat \(dir)/nope.snap: no such file or directory\n")
        let junkPath = dir + "/junk.snap"
        let fd = open(junkPath, O_CREAT | O_WRONLY, 0o600)
        _ = "this is not a snapshot at all, just text".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let junk = run(["snapshot", "status", junkPath], endpoint: "127.0.0.1:1")
        #expect(junk.code == 1 && junk.err.contains("not a snapshot file"))
        let restore = run(["snapshot", "restore", junkPath, "--data-dir", dir + "/d"], endpoint: "127.0.0.1:1")
        #expect(restore.code == 1)
        var info = stat()
        #expect(stat(dir + "/d", &info) != 0, "nothing is created from a bad file")
        #expect(run(["snapshot", "save"], endpoint: "127.0.0.1:1").code == 128)
    }

    private func stripHeader(_ json: String) -> String {
        guard let range = json.range(of: "\"kvs\"") else { return json }
        return String(json[range.lowerBound...])
    }
}
