import KVPosix
import KVProtocol

/// How a client connection's bytes travel: in the clear over its socket, or through TLS. Chosen once,
/// when the connection is accepted (by its listener's URL: `http://` or `https://`), and handed from
/// the sniffer to the front end and on to the `FarewellConnection` with the socket, so no front end
/// knows or cares which it is.
///
/// Over TLS, reads return decrypted bytes and writes take plaintext; "would block" means the socket
/// must become readable (or, while sending, writable) again, as for a plain socket. The handshake is
/// driven by `SniffingConnection` before any byte reaches a front end. Loop thread only.
///
/// Memory per TLS connection: OpenSSL's record buffers, released while idle (`SSL_MODE_RELEASE_BUFFERS`);
/// at most one 16 KiB record is decrypted per read into the loop's scratch buffer.
final class ClientTransport {
    let socket: Socket
    /// The TLS session, nil for a plaintext connection.
    let tls: TLSSession?

    init(socket: Socket, tls: TLSSession? = nil) {
        self.socket = socket
        self.tls = tls
    }

    var fd: FileDescriptor { socket.fd }
    var isTLS: Bool { tls != nil }

    /// What one `receive(into:scratch:budget:)` brought.
    struct Received {
        /// Bytes appended to the buffer.
        var count = 0
        /// The peer closed its sending side (end of stream, or TLS close_notify).
        var endOfStream = false
    }

    /// Reads what the connection has, up to about `budget` bytes (level-triggered epoll: the rest is read
    /// on the next wake-up), through `scratch` into `buffer`. Over TLS it also drains what OpenSSL has
    /// already decrypted, which epoll cannot see.
    func receive(into buffer: inout ByteBuffer, scratch: UnsafeMutableRawBufferPointer,
                 budget: Int) throws(TransportError) -> Received {
        var received = Received()
        while received.count < budget || (tls?.pending ?? 0) > 0 {
            guard case .processed(let count) = try receive(into: scratch) else { break }
            if count == 0 {
                received.endOfStream = true
                break
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            received.count += count
            if tls == nil && count < scratch.count { break }
        }
        return received
    }

    /// One read into `scratch`: a count (0 at end of stream), or would-block.
    func receive(into scratch: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        guard let tls else {
            do {
                return try socket.receive(into: scratch)
            } catch {
                throw .posix(error)
            }
        }
        switch tls.read(into: scratch) {
        case .bytes(let count): return .processed(count)
        case .step(.closed): return .processed(0)
        case .step(.failed(let reason)): throw .tls(reason)
        case .step: return .wouldBlock
        }
    }

    /// Sends as much of `buffer` as the connection takes now, consuming what was sent.
    /// - Returns: whether everything was sent (false: wait for writability).
    @discardableResult
    func send(from buffer: inout ByteBuffer) throws(TransportError) -> Bool {
        while !buffer.isEmpty {
            let result = try buffer.withUnsafeReadableBytes { (bytes) throws(TransportError) -> IOResult<Int> in
                try send(UnsafeRawBufferPointer(bytes))
            }
            guard case .processed(let count) = result else { return false }
            buffer.moveReaderIndex(forwardBy: count)
        }
        return true
    }

    private func send(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        guard let tls else {
            do {
                return try socket.send(bytes)
            } catch {
                throw .posix(error)
            }
        }
        switch tls.write(bytes) {
        case .bytes(let count): return .processed(count)
        case .step(.failed(let reason)): throw .tls(reason)
        case .step(.closed): throw .tls("connection closed by peer")
        case .step: return .wouldBlock
        }
    }

    /// Ends the sending side: TLS close_notify first (best effort), then the socket's.
    func shutdownWrite() throws(PosixError) {
        tls?.shutdown()
        try socket.shutdown(.write)
    }

    func close() throws(PosixError) {
        try socket.close()
    }
}

/// A connection's read or write failed: the socket's errno, or a TLS protocol error.
enum TransportError: Error, CustomStringConvertible {
    case posix(PosixError)
    case tls(String)

    var description: String {
        switch self {
        case .posix(let error): "\(error)"
        case .tls(let reason): "TLS: \(reason)"
        }
    }
}
