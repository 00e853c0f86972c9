#if canImport(Glibc)
import Glibc
#endif

/// Standard output, standard error and standard input of one kvctl run.
///
/// Output is buffered and written with `write(2)` on `flush()` (at exit, and after every watch
/// response); a captured console (tests) keeps everything in memory and reads input from bytes.
public final class Console {
    public private(set) var stdout: [UInt8] = []
    public private(set) var stderr: [UInt8] = []
    private let live: Bool
    private var input: [UInt8]
    private var inputOffset = 0
    private var inputEOF = false

    /// A console on file descriptors 0, 1 and 2.
    public static func standard() -> Console { Console(live: true, input: []) }

    /// A console that captures output and reads `input` as standard input.
    public static func captured(input: [UInt8] = []) -> Console { Console(live: false, input: input) }

    private init(live: Bool, input: [UInt8]) {
        self.live = live
        self.input = input
        self.inputEOF = !live
    }

    /// Whether this console is the process's own standard streams (not a captured one).
    var isLive: Bool { live }

    /// Whether the run was asked to stop (SIGINT/SIGTERM for a live console, once `Interrupt.install()`
    /// ran). Long-running commands (`lock`, `elect`, `make-mirror`, `check`) poll it and then clean up as
    /// etcdctl does on a signal. Tests set their own.
    public var interrupted: () -> Bool = { Interrupt.isRequested }

    public var capturedOut: String { String(decoding: stdout, as: UTF8.self) }
    public var capturedErr: String { String(decoding: stderr, as: UTF8.self) }

    public func out(_ text: String) { stdout.append(contentsOf: text.utf8) }
    public func out(bytes: [UInt8]) { stdout.append(contentsOf: bytes) }
    public func line(_ text: String) { out(text); stdout.append(0x0a) }

    public func err(_ text: String) { stderr.append(contentsOf: text.utf8) }
    public func errLine(_ text: String) { err(text); stderr.append(0x0a) }

    /// Writes what is buffered (live consoles only; a captured one keeps it).
    public func flush() {
        guard live else { return }
        Console.writeAll(1, &stdout)
        Console.writeAll(2, &stderr)
    }

    private static func writeAll(_ fd: Int32, _ buffer: inout [UInt8]) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    // MARK: Input

    /// Reads more standard input into the buffer; false at end of input.
    private func fill() -> Bool {
        guard !inputEOF else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { inputEOF = true; return false }
            if inputOffset > 0 {
                input.removeFirst(inputOffset)
                inputOffset = 0
            }
            input.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    /// Whether a line (or EOF) can be read without blocking long (captured consoles: always).
    public func inputReady(milliseconds: Int32) -> Bool {
        guard live, !inputEOF else { return true }
        if input[inputOffset...].contains(0x0a) { return true }
        var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return poll(&fds, 1, milliseconds) > 0
    }

    /// All remaining standard input, byte for byte.
    public func readAll() -> [UInt8] {
        while fill() {}
        let rest = Array(input[inputOffset...])
        inputOffset = input.count
        return rest
    }

    /// The next line including its `\n`, or the partial last line with `atEOF` set, or nil when
    /// nothing is left (Go's `bufio.Reader.ReadString('\n')`).
    public func readLine() -> (line: [UInt8], atEOF: Bool)? {
        while true {
            if let newline = input[inputOffset...].firstIndex(of: 0x0a) {
                let line = Array(input[inputOffset...newline])
                inputOffset = newline + 1
                return (line, false)
            }
            if !fill() {
                guard inputOffset < input.count else { return nil }
                let line = Array(input[inputOffset...])
                inputOffset = input.count
                return (line, true)
            }
        }
    }
}

/// etcdctl's exit codes.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let error: Int32 = 1
    public static let badConnection: Int32 = 2
    public static let invalidInput: Int32 = 3
    public static let badFeature: Int32 = 4
    public static let interrupted: Int32 = 5
    public static let badArgs: Int32 = 128
}

/// Ends a command: `Error: <message>` on stderr (when there is a message) and the exit code.
public struct CtlError: Error, Equatable {
    public var code: Int32
    public var message: String?

    public init(_ code: Int32, _ message: String?) {
        self.code = code
        self.message = message
    }

    public static func badArgs(_ message: String) -> CtlError { CtlError(ExitCode.badArgs, message) }
    public static func error(_ message: String) -> CtlError { CtlError(ExitCode.error, message) }
}

/// SIGINT and SIGTERM as a flag the long-running commands poll, instead of killing the process at once,
/// so that a lock is released and an election resigned before kvctl exits (as etcdctl does).
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    public static var isRequested: Bool { flag != 0 }

    /// Installs the handlers; only the commands that clean up on a signal do (others keep the default
    /// action, so ^C ends a `watch` at once).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in Interrupt.flag = 1 }
        _ = signal(SIGINT, handler)
        _ = signal(SIGTERM, handler)
    }
}
