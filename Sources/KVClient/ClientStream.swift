import Glibc
import KVPosix

/// A connected byte stream to one server: a non-blocking TCP socket and, for a TLS endpoint, the TLS
/// session over it with its handshake done. Both of the client's wire protocols run over it: the line
/// protocol (`ClientConnection`) and gRPC over HTTP/2 (`GRPCConnection`). Reads and writes report
/// "would block" as a value; errors are `ClientError`s naming the endpoint. Not thread-safe: its owner
/// serializes calls.
final class ClientStream {
    let socket: Socket
    /// The address dialed, as messages name it (`127.0.0.1:2379`).
    let endpoint: String
    /// TLS over `socket`, its handshake done; nil for plaintext.
    let tls: TLSClientSession?
    /// A TLS read needs the socket writable first (rare: a record OpenSSL must send).
    private var tlsWantsWrite = false

    init(socket: Socket, endpoint: String, tls: TLSClientSession? = nil) {
        self.socket = socket
        self.endpoint = endpoint
        self.tls = tls
    }

    deinit { try? socket.close() }

    /// Connects to the first of `endpoints` that accepts (in order) and runs its TLS handshake if it is a
    /// TLS endpoint (with `tls`, or else the system's trust store), offering HTTP/2 by ALPN when `offerH2`
    /// (gRPC servers want it). The timeout covers the connect and the handshake of each endpoint.
    /// - Throws: `.connectionFailed` with the last endpoint's dial error when none can be reached;
    ///   `.handshakeFailed` with Go's wording of why; `.tlsConfiguration` (TLS settings with an `http://`
    ///   endpoint, or files that cannot be used).
    static func dial(_ texts: [String], tls: ClientTLS?, timeoutNanoseconds: UInt64, offerH2: Bool = false) throws(ClientError) -> ClientStream {
        guard !texts.isEmpty else {
            throw ClientError(kind: .connectionFailed, description: "no endpoints given")
        }
        let parsed = try texts.map { (text) throws(ClientError) in try ClientEndpoint(parsing: text) }
        if tls != nil, let plain = parsed.first(where: { $0.scheme == .http }) {
            throw ClientError(kind: .tlsConfiguration,
                              description: "endpoint \(plain) is plaintext (http://), but TLS settings were given: use https://")
        }
        var lastError = ClientError(kind: .connectionFailed, description: "no endpoints given")
        var defaultTLS: ClientTLS?
        for endpoint in parsed {
            let address: SocketAddress
            do {
                address = try SocketAddress(parsing: endpoint.hostPort)
            } catch {
                lastError = ClientError(kind: .connectionFailed, description: "invalid endpoint \(error)")
                continue
            }
            let deadline = Posix.deadline(afterNanoseconds: timeoutNanoseconds)
            let socket: Socket
            do {
                socket = try Socket.connect(to: address, timeoutNanoseconds: timeoutNanoseconds, nonBlocking: true)
            } catch {
                lastError = ClientError.dial(address.description, error)
                continue
            }
            guard endpoint.usesTLS(configured: tls != nil) else {
                return ClientStream(socket: socket, endpoint: address.description)
            }
            do throws(ClientError) {
                if defaultTLS == nil && tls == nil { defaultTLS = try ClientTLS(ClientTLS.Configuration()) }
                guard let session = (tls ?? defaultTLS)!.session(for: socket, host: endpoint.host, offerH2: offerH2) else {
                    throw ClientError(kind: .handshakeFailed, description: "tls: out of memory")
                }
                try handshake(session, socket: socket, deadline: deadline)
                return ClientStream(socket: socket, endpoint: address.description, tls: session)
            } catch {
                try? socket.close()
                if error.kind == .tlsConfiguration { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    /// Runs the TLS handshake of a new connection, waiting for the socket as OpenSSL asks, until `deadline`.
    /// - Throws: `.handshakeFailed` with Go's wording of the reason (`EOF` when the server hung up).
    static func handshake(_ tls: TLSClientSession, socket: Socket, deadline: UInt64) throws(ClientError) {
        while true {
            let events: Int16
            do {
                try tls.handshake()
                return
            } catch {
                switch error {
                case .wantRead: events = Int16(POLLIN)
                case .wantWrite: events = Int16(POLLOUT)
                case .closed: throw ClientError(kind: .handshakeFailed, description: "EOF")
                case .failed(let reason): throw ClientError(kind: .handshakeFailed, description: reason)
                }
            }
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else { throw ClientError(kind: .handshakeFailed, description: "i/o timeout") }
            var request = pollfd(fd: socket.fd.rawValue, events: events, revents: 0)
            if Glibc.poll(&request, 1, Posix.milliseconds(until: deadline, now: now)) < 0 && errno != EINTR {
                throw ClientError(kind: .handshakeFailed, description: "poll: errno \(errno)")
            }
        }
    }

    /// Sends close_notify (TLS) and shuts the socket down, best effort.
    func shutdown() {
        tls?.shutdown()
        try? socket.shutdown(.both)
    }

    /// Sends part of `bytes` over TLS or the socket.
    func transmit(_ bytes: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) throws(ClientError) -> IOResult<Int> {
        guard let tls else {
            do {
                return try socket.send(bytes)
            } catch {
                throw ClientError(kind: .closed, description: "write to \(endpoint): \(error)")
            }
        }
        do {
            return .processed(try tls.write(bytes))
        } catch {
            switch error {
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed, .failed:
                // The server hung up; an alert it sent first (a refused client certificate) says why.
                var reason = "connection closed by the server"
                if case .failed(let text) = error { reason = text }
                if case .failed(let alert)? = readFailure(tls, scratch: scratch), alert.hasPrefix("remote error") { reason = alert }
                throw ClientError(kind: .closed, description: "write to \(endpoint): \(reason)")
            }
        }
    }

    /// The failure a read reports now, if any (for the reason behind a failed write).
    private func readFailure(_ tls: TLSClientSession, scratch: UnsafeMutableRawBufferPointer) -> TLSClientSession.Blocked? {
        do {
            _ = try tls.read(into: scratch)
            return nil
        } catch {
            return error
        }
    }

    /// Receives into `buffer` over TLS or the socket; `.processed(0)` is the end of the stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ClientError) -> IOResult<Int> {
        guard let tls else {
            do {
                return try socket.receive(into: buffer)
            } catch {
                throw ClientError(kind: .closed, description: "read from \(endpoint): \(error)")
            }
        }
        tlsWantsWrite = false
        do {
            return .processed(try tls.read(into: buffer))
        } catch {
            switch error {
            case .wantRead: return .wouldBlock
            case .wantWrite:
                tlsWantsWrite = true
                return .wouldBlock
            case .closed: return .processed(0)
            case .failed(let reason): throw ClientError(kind: .closed, description: "read from \(endpoint): \(reason)")
            }
        }
    }

    /// Waits until the stream is readable (or also writable, when `writable`) or `deadline` passes.
    func wait(writable: Bool, until deadline: UInt64) throws(ClientError) -> (readable: Bool, writable: Bool) {
        // Bytes OpenSSL has already decrypted are invisible to poll.
        if let tls, tls.pending > 0 { return (true, false) }
        let now = Posix.monotonicNanoseconds()
        let milliseconds = Posix.milliseconds(until: deadline, now: now)
        let wantsWrite = writable || tlsWantsWrite
        var request = pollfd(fd: socket.fd.rawValue, events: Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0), revents: 0)
        let count = Glibc.poll(&request, 1, milliseconds)
        if count < 0 {
            if errno == EINTR { return (false, false) }
            throw ClientError(kind: .closed, description: "poll on connection to \(endpoint): errno \(errno)")
        }
        if count == 0 { return (false, false) }
        let events = request.revents
        let readable = events & Int16(POLLIN | POLLHUP | POLLERR) != 0
            || (tlsWantsWrite && events & Int16(POLLOUT) != 0)
        return (readable, events & Int16(POLLOUT) != 0)
    }

    /// Writes all of `bytes` by `deadline`, calling `whileBlocked` when the socket is full and input is
    /// waiting (so a peer that will not read until it is read from cannot deadlock the writer).
    func transmitAll(_ bytes: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer, deadline: UInt64,
                     whileBlocked: () throws(ClientError) -> Void) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            switch try transmit(UnsafeRawBufferPointer(rebasing: bytes[offset...]), scratch: scratch) {
            case .processed(let count):
                offset += count
            case .wouldBlock:
                guard Posix.monotonicNanoseconds() < deadline else {
                    throw ClientError(kind: .timeout, description: "timed out writing to \(endpoint)")
                }
                if try wait(writable: true, until: deadline).readable { try whileBlocked() }
            }
        }
    }
}
