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
    /// With a durable data dir (`--wal-sync always` or `interval`): the loop whose gate holds output until the log has
    /// synced what it could reflect (see `DurabilityGate`); nil otherwise, and then nothing is held.
    private unowned(unsafe) let durability: LoopContext?
    private var held = HeldOutput()
    /// The connection currently using this transport (set at each hand-off): what a release flushes.
    weak var owner: (any ClientPortConnection)?
    /// The Common Name of the client's verified certificate (nil for plaintext or no certificate).
    private(set) lazy var certifiedUser: String? = tls?.peerCommonName
    /// The log index of this connection's last write (see `WriteMark`).
    let writeMark = WriteMark()
    /// Set while listed in the loop's held transports.
    var isWaitingForLog = false
    /// The last `send` stopped at output the log holds (the rest waits for a release, not for writability).
    private(set) var isHeld = false

    init(socket: Socket, tls: TLSSession? = nil, durability: LoopContext? = nil) {
        self.socket = socket
        self.tls = tls
        self.durability = durability
    }

    /// Whether the connection should wait for write readiness: it has output the socket did not take
    /// that the log does not hold.
    func wantsWritable(_ output: ByteBuffer) -> Bool { !output.isEmpty && !isHeld }

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

    /// Sends as much of `buffer` as the connection takes now (and the log lets go), consuming what was sent.
    /// - Returns: whether everything was sent (false: wait for writability, or, when `isHeld`, for the
    ///   log: the loop flushes the connection again once the log has synced).
    @discardableResult
    func send(from buffer: inout ByteBuffer) throws(TransportError) -> Bool {
        var allowed = buffer.readableBytes
        isHeld = false
        if let durability, let gate = durability.durabilityGate {
            // While the disk fails, only this connection's own unsynced writes hold its output back.
            let appended = gate.log.isFaulted.load(ordering: .relaxed) ? writeMark.index : gate.appendedIndex
            held.observe(end: held.sent + UInt64(buffer.readableBytes), appended: appended, durable: gate.durableIndex)
            allowed = held.sendable(pending: buffer.readableBytes, durable: gate.durableIndex)
        }
        while allowed > 0 {
            let result = try buffer.withUnsafeReadableBytes { (bytes) throws(TransportError) -> IOResult<Int> in
                try send(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<allowed])))
            }
            guard case .processed(let count) = result else { return false }
            buffer.moveReaderIndex(forwardBy: count)
            held.sent += UInt64(count)
            allowed -= count
        }
        if !buffer.isEmpty, let durability, let index = held.waitingFor {
            isHeld = true
            durability.holdUntilDurable(self, index: index)
            return false
        }
        return buffer.isEmpty
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
