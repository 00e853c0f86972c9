import CEpoll
import Glibc

/// A TCP socket: listening, accepted, or connected.
///
/// A plain value like ``FileDescriptor``: exactly one owner calls ``close()`` exactly once.
/// Sockets made here are close-on-exec. Sends use `MSG_NOSIGNAL`, so writing to a socket whose
/// peer has gone away returns `EPIPE` instead of raising `SIGPIPE`.
public struct Socket: Hashable, Sendable {
    public let fd: FileDescriptor

    public init(fd: FileDescriptor) {
        self.fd = fd
    }

    /// How much of a connection ``shutdown(_:)`` closes.
    public enum ShutdownDirection: Sendable {
        case read, write, both
    }

    // MARK: Listening

    /// Creates a non-blocking listening socket bound to `address` with `SO_REUSEADDR`.
    ///
    /// Port 0 binds an ephemeral port; read it back with ``localAddress()``. `backlog` is the
    /// accept queue length (the kernel caps it at `net.core.somaxconn`).
    public static func listen(on address: SocketAddress, backlog: Int32 = 511) throws(PosixError) -> Socket {
        let socket = try open(family: address.family)
        do throws(PosixError) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1, name: "setsockopt(SO_REUSEADDR)")
            _ = try address.withSockAddr { (raw, length) throws(PosixError) in
                try Posix.call("bind") { Glibc.bind(socket.fd.rawValue, raw, length) }
            }
            _ = try Posix.call("listen") { Glibc.listen(socket.fd.rawValue, backlog) }
        } catch {
            try? socket.close()
            throw error
        }
        return socket
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket, or returns
    /// `.wouldBlock` when none is pending (the listening socket must be non-blocking).
    ///
    /// Connections that were reset before being accepted (`ECONNABORTED`) are skipped. Running
    /// out of descriptors (`EMFILE`/`ENFILE`) is thrown: the caller should back off, because the
    /// pending connection stays queued and keeps the socket readable.
    public func accept() throws(PosixError) -> IOResult<Socket> {
        while true {
            let result = cepoll_accept_nonblocking(fd.rawValue)
            if result >= 0 { return .processed(Socket(fd: FileDescriptor(rawValue: result))) }
            let code = errno
            switch code {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw Posix.failure("accept4", code)
            }
        }
    }

    // MARK: Connecting

    /// Connects to `address`, waiting at most `timeoutNanoseconds`.
    ///
    /// The connect itself is non-blocking and the wait uses `poll`, so the timeout holds even
    /// when the peer never answers; it then throws `connect: Connection timed out (ETIMEDOUT)`.
    /// A refused connection throws `connect: Connection refused (ECONNREFUSED)`. The returned
    /// socket has `TCP_NODELAY` set when `noDelay` is true, and is blocking unless `nonBlocking`.
    public static func connect(
        to address: SocketAddress,
        timeoutNanoseconds: UInt64,
        nonBlocking: Bool = false,
        noDelay: Bool = true
    ) throws(PosixError) -> Socket {
        let socket = try open(family: address.family)
        do throws(PosixError) {
            try socket.finishConnect(to: address, timeoutNanoseconds: timeoutNanoseconds)
            if noDelay { try socket.setNoDelay(true) }
            if !nonBlocking { try socket.fd.setNonBlocking(false) }
        } catch {
            try? socket.close()
            throw error
        }
        return socket
    }

    private func finishConnect(to address: SocketAddress, timeoutNanoseconds: UInt64) throws(PosixError) {
        let started = address.withSockAddr { raw, length in Glibc.connect(fd.rawValue, raw, length) }
        if started == 0 { return }
        let code = errno
        // A non-blocking connect reports EINPROGRESS (or EINTR, after which it goes on in the background).
        guard code == EINPROGRESS || code == EINTR else { throw Posix.failure("connect", code) }

        let deadline = Posix.deadline(afterNanoseconds: timeoutNanoseconds)
        while true {
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else { throw PosixError(call: "connect", code: ETIMEDOUT) }
            let remainingMilliseconds = Posix.milliseconds(until: deadline, now: now)
            var request = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
            let ready = try Posix.call("poll") { poll(&request, 1, remainingMilliseconds) }
            if ready > 0 { break }
        }
        let pending = try option(SOL_SOCKET, SO_ERROR, name: "getsockopt(SO_ERROR)")
        if pending != 0 { throw Posix.failure("connect", pending) }
    }

    // MARK: Data

    /// Receives up to `buffer.count` bytes. `.processed(0)` means the peer closed its side.
    /// On a blocking socket with a receive timeout, an expired timeout is `.wouldBlock`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try Posix.callIO("recv") { recv(fd.rawValue, buffer.baseAddress, buffer.count, 0) }
    }

    /// Sends up to `buffer.count` bytes; returns how many were queued (fewer is normal).
    public func send(_ buffer: UnsafeRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try Posix.callIO("send") {
            Glibc.send(fd.rawValue, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
    }

    /// Sends from several buffers in one call (`sendmsg`, at most 1024 of them per call);
    /// returns the total bytes queued, which may end in the middle of any buffer.
    public func send(vectors: UnsafeBufferPointer<iovec>) throws(PosixError) -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = UnsafeMutablePointer(mutating: vectors.baseAddress)
        message.msg_iovlen = min(vectors.count, 1024)
        return try Posix.callIO("sendmsg") { sendmsg(fd.rawValue, &message, Int32(MSG_NOSIGNAL)) }
    }

    // MARK: Options

    /// Sets `TCP_NODELAY` (no Nagle delay for small replies).
    public func setNoDelay(_ on: Bool) throws(PosixError) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, on ? 1 : 0, name: "setsockopt(TCP_NODELAY)")
    }

    /// Sets `SO_SNDBUF`; the kernel doubles the value and applies its own minimum.
    public func setSendBufferSize(_ bytes: Int32) throws(PosixError) {
        try setOption(SOL_SOCKET, SO_SNDBUF, bytes, name: "setsockopt(SO_SNDBUF)")
    }

    /// Sets `SO_RCVBUF`; the kernel doubles the value and applies its own minimum.
    public func setReceiveBufferSize(_ bytes: Int32) throws(PosixError) {
        try setOption(SOL_SOCKET, SO_RCVBUF, bytes, name: "setsockopt(SO_RCVBUF)")
    }

    /// Bounds how long a blocking receive waits (`SO_RCVTIMEO`; 0 = forever). When it expires,
    /// ``receive(into:)`` returns `.wouldBlock`.
    public func setReceiveTimeout(nanoseconds: UInt64) throws(PosixError) {
        try setTimeout(SO_RCVTIMEO, nanoseconds, name: "setsockopt(SO_RCVTIMEO)")
    }

    /// Bounds how long a blocking send waits (`SO_SNDTIMEO`; 0 = forever). When it expires with
    /// nothing sent, ``send(_:)`` returns `.wouldBlock`.
    public func setSendTimeout(nanoseconds: UInt64) throws(PosixError) {
        try setTimeout(SO_SNDTIMEO, nanoseconds, name: "setsockopt(SO_SNDTIMEO)")
    }

    /// The address this socket is bound to (`getsockname`), e.g. the port the kernel chose.
    public func localAddress() throws(PosixError) -> SocketAddress {
        try address(name: "getsockname") { fd, raw, length in getsockname(fd, raw, length) }
    }

    /// The connected peer's address (`getpeername`); throws `ENOTCONN` when not connected.
    public func peerAddress() throws(PosixError) -> SocketAddress {
        try address(name: "getpeername") { fd, raw, length in getpeername(fd, raw, length) }
    }

    // MARK: Closing

    /// Shuts down one or both directions. Shutting down a connection the peer already reset
    /// (`ENOTCONN`) is not an error: there is nothing left to shut down.
    public func shutdown(_ direction: ShutdownDirection) throws(PosixError) {
        let how: Int32 = switch direction {
        case .read: Int32(SHUT_RD)
        case .write: Int32(SHUT_WR)
        case .both: Int32(SHUT_RDWR)
        }
        if Glibc.shutdown(fd.rawValue, how) == 0 { return }
        let code = errno
        if code == ENOTCONN { return }
        throw Posix.failure("shutdown", code)
    }

    /// Closes the socket.
    public func close() throws(PosixError) {
        try fd.close()
    }

    // MARK: Helpers

    static func open(family: SocketAddress.Family) throws(PosixError) -> Socket {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let raw = try Posix.call("socket") { Glibc.socket(domain, type, 0) }
        return Socket(fd: FileDescriptor(rawValue: raw))
    }

    func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: StaticString) throws(PosixError) {
        var value = value
        _ = try Posix.call(name) {
            setsockopt(fd.rawValue, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    func option(_ level: Int32, _ option: Int32, name: StaticString) throws(PosixError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try Posix.call(name) { getsockopt(fd.rawValue, level, option, &value, &length) }
        return value
    }

    private func setTimeout(_ option: Int32, _ nanoseconds: UInt64, name: StaticString) throws(PosixError) {
        var value = timeval(
            tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
        _ = try Posix.call(name) {
            setsockopt(fd.rawValue, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    private func address(
        name: StaticString,
        _ body: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws(PosixError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutableBytes(of: &storage) { (bytes) throws(PosixError) -> Int32 in
            try Posix.call(name) {
                body(fd.rawValue, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }
        }
        guard let address = withUnsafeBytes(of: &storage, { SocketAddress($0.baseAddress!) }) else {
            throw PosixError(call: name.description, code: EAFNOSUPPORT)
        }
        return address
    }
}
