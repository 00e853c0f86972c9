import Glibc

/// The single gate through which this module makes system calls.
///
/// Every helper retries `EINTR`, turns `EAGAIN`/`EWOULDBLOCK` into ``IOResult/wouldBlock`` where
/// asked, and throws ``PosixError`` for anything else. `EBADF` and `EFAULT` mean the caller passed
/// a closed descriptor or a bad buffer; those are bugs, so they trap instead of throwing.
public enum Posix {
    /// Runs `body` (a call that returns -1 and sets `errno` on failure) until it does not fail
    /// with `EINTR`; returns its result or throws.
    @inlinable
    public static func call<Result: BinaryInteger>(
        _ name: StaticString, _ body: () -> Result
    ) throws(PosixError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw failure(name, code)
        }
    }

    /// Like ``call(_:_:)`` but reports `EAGAIN`/`EWOULDBLOCK` as ``IOResult/wouldBlock``.
    @inlinable
    public static func callIO<Result: BinaryInteger>(
        _ name: StaticString, _ body: () -> Result
    ) throws(PosixError) -> IOResult<Result> {
        while true {
            let result = body()
            if result != -1 { return .processed(result) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw failure(name, code)
        }
    }

    /// Builds the error for a failed call, trapping on errno values that can only mean a bug.
    @usableFromInline
    static func failure(_ name: StaticString, _ code: Int32) -> PosixError {
        let error = PosixError(call: name.description, code: code)
        precondition(code != EBADF && code != EFAULT, "\(error): invalid descriptor or buffer (a bug)")
        return error
    }

    /// Closes `fd`. On Linux the descriptor is released even when `close` reports `EINTR`, so it
    /// is never retried (a retry could close a descriptor another thread just opened).
    /// `EIO` and friends are reported but the descriptor is gone either way.
    public static func close(_ fd: Int32) throws(PosixError) {
        if Glibc.close(fd) == 0 { return }
        let code = errno
        if code == EINTR { return }
        throw failure("close", code)
    }

    /// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`), for deadlines and timers.
    public static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// The monotonic time `nanoseconds` from now, saturating at `UInt64.max` (never) instead of
    /// wrapping around to a deadline already past.
    public static func deadline(afterNanoseconds nanoseconds: UInt64) -> UInt64 {
        let (sum, overflow) = monotonicNanoseconds().addingReportingOverflow(nanoseconds)
        return overflow ? UInt64.max : sum
    }

    /// Whole milliseconds from `now` until `deadline`, rounded up, for `poll` and `epoll_wait`:
    /// 0 once it has passed, `Int32.max` at most (so `UInt64.max`, never, waits as long as one call can).
    public static func milliseconds(until deadline: UInt64, now: UInt64) -> Int32 {
        guard deadline > now else { return 0 }
        let remaining = deadline - now
        return Int32(clamping: remaining / 1_000_000 + (remaining % 1_000_000 == 0 ? 0 : 1))
    }
}
