import Glibc
import KVPosix

/// Runs a command through `/bin/sh -c`, bounded by coreutils' `timeout`, with standard input from a
/// string and both output streams captured: for tests that drive real clients (etcdctl, python, go).
/// Shared by the test targets (the `TestSupport` target).
public struct ShellCommand {
    public var status: Int32
    public var output: String

    /// The repository's root, from this file's path.
    public static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = AtomicFile.parentDirectory(of: path) }
        return path
    }()

    /// Runs `command` (shell syntax) for at most `seconds`, feeding `input`.
    public static func run(_ command: String, input: String = "", seconds: Int = 60) throws -> ShellCommand {
        let directory = "/tmp/kv-shell-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(directory, 0o700) == 0 else { throw PosixError(call: "mkdir", code: errno) }
        defer { _ = try? run(raw: "rm -rf '\(directory)'") }
        let inputFile = directory + "/in", outputFile = directory + "/out"
        try write(input, to: inputFile)
        let status = try run(raw: "timeout -k 2 \(seconds) /bin/sh -c '\(command.replacingQuotes())' <'\(inputFile)' >'\(outputFile)' 2>&1")
        return ShellCommand(status: status, output: try read(outputFile))
    }

    /// Whether `command` succeeds (for "is this client installed" checks).
    public static func succeeds(_ command: String) -> Bool {
        (try? run(command, seconds: 30).status) == 0
    }

    private static func run(raw: String) throws -> Int32 {
        var child: pid_t = 0
        let argv = ["/bin/sh", "-c", raw]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let result = posix_spawn(&child, "/bin/sh", nil, nil, &cArgs, environ)
        guard result == 0 else { throw PosixError(call: "posix_spawn", code: result) }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS by hand (macros are not imported).
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw PosixError(call: "open", code: errno) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw PosixError(call: "write", code: errno) }
            offset += written
        }
    }

    private static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PosixError(call: "open", code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    /// Quotes a command for inclusion in single quotes.
    func replacingQuotes() -> String {
        var out = ""
        for character in self { out += character == "'" ? "'\\''" : String(character) }
        return out
    }
}
