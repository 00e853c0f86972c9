import Glibc

/// A raw file descriptor with the few operations the server needs.
///
/// This is a plain value: copying it does not duplicate the descriptor, and exactly one owner
/// must call ``close()`` exactly once. Using it after `close` is a bug (it traps on `EBADF`, or
/// worse, touches a descriptor that was reused).
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Reads up to `buffer.count` bytes. `.processed(0)` means end of file (or an empty buffer).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try Posix.callIO("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes up to `buffer.count` bytes and returns how many were written; fewer than asked is
    /// normal on a non-blocking descriptor. On a socket prefer ``Socket/send(_:)``, which cannot
    /// raise `SIGPIPE`.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(PosixError) -> IOResult<Int> {
        try Posix.callIO("write") { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Gathers from several buffers in one call (at most `IOV_MAX` = 1024 are used; the rest are
    /// left for the next call, like any partial write). Returns the total bytes written.
    public func writev(_ vectors: UnsafeBufferPointer<iovec>) throws(PosixError) -> IOResult<Int> {
        let count = Int32(min(vectors.count, 1024))
        return try Posix.callIO("writev") { Glibc.writev(rawValue, vectors.baseAddress, count) }
    }

    /// Sets or clears `O_NONBLOCK`.
    public func setNonBlocking(_ nonBlocking: Bool) throws(PosixError) {
        let flags = try Posix.call("fcntl") { fcntl(rawValue, F_GETFL) }
        let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags {
            _ = try Posix.call("fcntl") { fcntl(rawValue, F_SETFL, wanted) }
        }
    }

    /// Closes the descriptor. See ``Posix/close(_:)`` for why `EINTR` is not retried.
    public func close() throws(PosixError) {
        try Posix.close(rawValue)
    }
}
