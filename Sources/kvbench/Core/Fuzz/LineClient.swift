import Glibc
import KVPosix

/// A blocking line-protocol connection with bounded waits: writes request lines and reads reply lines,
/// each read bounded by a receive timeout. The healthy client, and the transport's set-up and
/// housekeeping, speak through one. Never used for `WATCH` (it expects exactly one line per request).
public final class LineClient {
    let socket: Socket
    let endpoint: String
    let timeoutSeconds: Double
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65_536)

    public init(endpoint: String, timeoutSeconds: Double) throws(FuzzTransportError) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        let nanoseconds = UInt64(timeoutSeconds * 1e9)
        do {
            socket = try Socket.connect(to: try SocketAddress(parsing: endpoint), timeoutNanoseconds: nanoseconds)
            try socket.setReceiveTimeout(nanoseconds: nanoseconds)
            try socket.setSendTimeout(nanoseconds: nanoseconds)
        } catch {
            throw LineClient.failure(error, connecting: endpoint)
        }
    }

    deinit { try? socket.close() }

    /// Writes `line` (terminator included) in full.
    public func send(_ line: [UInt8]) throws(FuzzTransportError) {
        var offset = 0
        while offset < line.count {
            let result: IOResult<Int>
            do {
                result = try line.withUnsafeBytes { (bytes) throws(PosixError) in
                    try socket.send(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                }
            } catch {
                throw FuzzTransportError(.reset, "sending to \(endpoint): \(error)")
            }
            guard case .processed(let count) = result else {
                throw FuzzTransportError(.timeout, "\(endpoint) took no bytes for \(timeoutSeconds) s")
            }
            offset += count
        }
    }

    /// The next reply line, without its `\n`.
    public func line() throws(FuzzTransportError) -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let result: IOResult<Int>
            do {
                result = try chunk.withUnsafeMutableBytes { (bytes) throws(PosixError) in try socket.receive(into: bytes) }
            } catch {
                throw FuzzTransportError(.reset, "receiving from \(endpoint): \(error)")
            }
            switch result {
            case .processed(0): throw FuzzTransportError(.closed, "\(endpoint) closed the connection")
            case .processed(let count): pending += chunk[..<count]
            case .wouldBlock: throw FuzzTransportError(.timeout, "no answer from \(endpoint) within \(timeoutSeconds) s")
            }
        }
    }

    /// Sends one request line and returns its reply line.
    public func call(_ line: [UInt8]) throws(FuzzTransportError) -> String {
        try send(line)
        return try self.line()
    }

    static func failure(_ error: any Error, connecting endpoint: String) -> FuzzTransportError {
        if let posix = error as? PosixError, posix.code == ECONNREFUSED {
            return FuzzTransportError(.refused, "cannot connect to \(endpoint): \(posix)")
        }
        if let posix = error as? PosixError, posix.code == ETIMEDOUT {
            return FuzzTransportError(.timeout, "cannot connect to \(endpoint): \(posix)")
        }
        return FuzzTransportError(.reset, "cannot connect to \(endpoint): \(error)")
    }
}
