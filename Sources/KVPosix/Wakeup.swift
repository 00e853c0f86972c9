import CEpoll
import Glibc

/// An `eventfd` that one thread signals to wake another out of `epoll_wait`.
///
/// Signals coalesce: many ``signal()`` calls before one ``drain()`` produce one wake-up. It is
/// non-blocking and close-on-exec; register ``fd`` for `.readable` and call ``drain()`` when it
/// fires (it stays readable until drained).
public struct Wakeup: Hashable, Sendable {
    public let fd: FileDescriptor

    public init() throws(PosixError) {
        fd = FileDescriptor(rawValue: try Posix.call("eventfd") { eventfd(0, cepoll_efd_flags()) })
    }

    /// Makes ``fd`` readable. Safe from any thread and from signal handlers; never blocks
    /// (if the counter is saturated, the descriptor is already readable).
    public func signal() {
        var one: UInt64 = 1
        _ = try? Posix.callIO("write(eventfd)") { Glibc.write(fd.rawValue, &one, 8) }
    }

    /// Resets the counter so ``fd`` is no longer readable; returns whether it had been signalled.
    @discardableResult
    public func drain() -> Bool {
        var count: UInt64 = 0
        let result = try? Posix.callIO("read(eventfd)") { Glibc.read(fd.rawValue, &count, 8) }
        return result?.value == 8
    }

    public func close() throws(PosixError) {
        try fd.close()
    }
}
