import Glibc
import KVClient
import KVPosix

/// The directory holding the test bundle, where `swift build` also puts `kvserver`.
func productsDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    var dir = AtomicFile.parentDirectory(of: exe)
    // Inside an .xctest bundle on some layouts: climb out of it.
    while dir.contains(".xctest") { dir = AtomicFile.parentDirectory(of: dir) }
    return dir
}

/// A `kvserver` process on a free loopback port, stopped with SIGTERM.
final class ServerProcess {
    let pid: pid_t
    let endpoint: String

    /// - Parameters:
    ///   - descriptorLimit: run it with these soft and hard `RLIMIT_NOFILE` limits (set by `sh`'s
    ///     `ulimit`, which then `exec`s the server, so `pid` is the server's).
    ///   - logFile: where its standard error (the log) goes, at `--log-level info` unless `arguments`
    ///     say otherwise; by default nowhere, at `error`.
    init(arguments: [String], descriptorLimit: (soft: Int, hard: Int)? = nil, logFile: String? = nil) throws {
        let port = try ServerProcess.freePort()
        endpoint = "127.0.0.1:\(port)"
        // KV_TEST_SERVER_BINARY runs these tests against another build (e.g. a release one, for figures).
        let binary = getenv("KV_TEST_SERVER_BINARY").map { String(cString: $0) } ?? productsDirectory() + "/kvserver"
        var argv = [binary, "--listen-client-urls", endpoint, "--log-level", logFile == nil ? "error" : "info"] + arguments
        if let descriptorLimit {
            let limits = "ulimit -S -n \(descriptorLimit.soft) && ulimit -H -n \(descriptorLimit.hard)"
            argv = ["/bin/sh", "-c", limits + " && exec \"$0\" \"$@\""] + argv
        }
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        // Its standard streams go to /dev/null: a server holding the test's output open would keep the
        // test runner waiting if the test died before stopping it.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            if fd == 2, let logFile {
                posix_spawn_file_actions_addopen(&actions, fd, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            } else {
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, argv[0], &actions, nil, &cArgs, environ)
        guard result == 0 else { throw PosixError(call: "posix_spawn", code: result) }
        pid = child
        // Wait (bounded) until it accepts connections.
        for _ in 0..<200 {
            if (try? KVClient(endpoints: [endpoint], dialTimeout: .milliseconds(100))) != nil { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 25_000_000)
            nanosleep(&pause, nil)
        }
        Glibc.kill(pid, SIGKILL)
        throw PosixError(call: "connect", code: ECONNREFUSED)
    }

    /// SIGTERM, then the exit status (bounded wait; SIGKILL after 10 s).
    func terminate() -> Int32 {
        Glibc.kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<1000 {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        Glibc.kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return -1
    }

    /// The process's resident set size in bytes (from /proc/PID/statm), or nil once it is gone.
    func residentBytes() -> Int? {
        let fd = open("/proc/\(pid)/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        let fields = String(decoding: bytes[..<count], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Whether the process is still running (not exited, not a zombie).
    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    func kill() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    static func freePort() throws -> Int {
        let socket = try Socket.listen(on: try SocketAddress(parsing: "127.0.0.1:0"))
        defer { try? socket.close() }
        return Int(try socket.localAddress().port)
    }
}

