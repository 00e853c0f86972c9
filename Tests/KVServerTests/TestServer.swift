import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
@testable import KVServer

/// A server on an ephemeral loopback port with its own store, for one test. Call `stop()` at the end
/// (it is also stopped when released).
final class TestServer: @unchecked Sendable {
    let server: Server
    let endpoint: String

    /// - Parameter logFD: where the server logs at debug level (default: nowhere, or stderr with `KV_TEST_LOG`).
    init(_ configure: (inout ServerConfig) -> Void = { _ in }, clock: any StoreClock = SystemClock(), logFD: Int32? = nil) throws {
        var config = ServerConfig()
        config.listenClientURLs = ["127.0.0.1:0"]
        configure(&config)
        let level = ProcessEnvironment.debugLogging || logFD != nil ? LogLevel.debug : .error
        server = Server(config: config, clock: clock,
                        logger: Logger(level: level, fd: logFD ?? (ProcessEnvironment.debugLogging ? 2 : -1)))
        let addresses = try server.start()
        endpoint = addresses[0].description
    }

    deinit { server.stop() }

    var store: Store { server.store }

    func stop() { server.stop() }

    func client(commandTimeout: Duration = .seconds(10), credentials: KVClient.Credentials? = nil) throws -> KVClient {
        try KVClient(endpoints: [endpoint], commandTimeout: commandTimeout, credentials: credentials)
    }

    /// A raw connection for speaking the wire protocol by hand.
    func raw() throws -> RawConnection { try RawConnection(endpoint: endpoint) }
}

enum ProcessEnvironment {
    static let debugLogging = getenv("KV_TEST_LOG") != nil
}

/// A blocking socket that sends bytes and reads reply lines, with a receive timeout so no test can hang.
final class RawConnection {
    let socket: Socket
    private var pending: [UInt8] = []
    /// Bytes of `pending` already searched for a newline, so a long line is scanned once.
    private var scanned = 0

    init(endpoint: String, timeout: UInt64 = 5_000_000_000) throws {
        socket = try Socket.connect(to: try SocketAddress(parsing: endpoint), timeoutNanoseconds: 2_000_000_000)
        try socket.setReceiveTimeout(nanoseconds: timeout)
        try socket.setSendTimeout(nanoseconds: timeout)
    }

    /// A connection from the IPv4 loopback address `source` (any of 127.0.0.0/8 on Linux), so a test can
    /// play clients on distinct addresses.
    init(endpoint: String, from source: String, timeout: UInt64 = 5_000_000_000) throws {
        let remote = try SocketAddress(parsing: endpoint)
        let fd = try Posix.call("socket") { Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        socket = Socket(fd: FileDescriptor(rawValue: fd))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { throw RawError.closed }
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = UInt16(remote.port).bigEndian
        guard inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr) == 1 else { throw RawError.closed }
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try Posix.call("bind") { withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } }
        _ = try Posix.call("connect") { withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } } }
        try socket.setReceiveTimeout(nanoseconds: timeout)
        try socket.setSendTimeout(nanoseconds: timeout)
    }

    deinit { try? socket.close() }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let result = try bytes.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            guard case .processed(let count) = result else { throw RawError.timeout }
            offset += count
        }
    }

    /// The next line (without `\n`), or throws on timeout / end of stream.
    func line() throws -> String {
        while true {
            if let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                scanned = 0
                return String(decoding: line, as: UTF8.self)
            }
            scanned = pending.count
            var chunk = [UInt8](repeating: 0, count: 65536)
            let result = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
            switch result {
            case .processed(0): throw RawError.closed
            case .processed(let count): pending += chunk[..<count]
            case .wouldBlock: throw RawError.timeout
            }
        }
    }

    /// Whether the server closed the connection (reads end of stream) within the timeout.
    func readsEndOfStream() -> Bool {
        while true {
            var chunk = [UInt8](repeating: 0, count: 65536)
            guard let result = try? chunk.withUnsafeMutableBytes({ try socket.receive(into: $0) }) else { return true }
            switch result {
            case .processed(0): return true
            case .processed: continue
            case .wouldBlock: return false
            }
        }
    }

    enum RawError: Error { case timeout, closed }
}

func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Polls `condition` every 10 ms for at most `seconds`.
func eventually(seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Posix.monotonicNanoseconds() + UInt64(seconds * 1e9)
    while Posix.monotonicNanoseconds() < deadline {
        if try condition() { return true }
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&pause, nil)
    }
    return try condition()
}
