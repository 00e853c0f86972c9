import CEpoll
import Glibc

/// Process signal setup for the executables.
public enum Signals {
    /// Ignores `SIGPIPE` process-wide, so writing to a closed pipe or socket returns `EPIPE`
    /// instead of killing the process. Sockets here already send with `MSG_NOSIGNAL`; this
    /// also covers stdout and anything else. Call once at startup.
    public static func ignoreBrokenPipe() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks `signals` in the calling thread (`pthread_sigmask`). Threads started afterwards
    /// inherit the mask, so call it on the main thread before starting any loop: then the
    /// signals stay pending until read from a ``SignalDescriptor`` instead of running their
    /// default action (for `SIGINT`/`SIGTERM`, killing the process).
    public static func block(_ signals: [Int32]) throws(PosixError) {
        var set = makeSet(signals)
        let result = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard result == 0 else { throw PosixError(call: "pthread_sigmask", code: result) }
    }

    static func makeSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}

/// A non-blocking, close-on-exec `signalfd`: blocked signals become readable records.
///
/// It only sees signals that are blocked (see ``Signals/block(_:)``) in the thread that reads
/// it, and in every thread for a process-directed signal; otherwise their default action runs.
public struct SignalDescriptor: Hashable, Sendable {
    public let fd: FileDescriptor

    public init(signals: [Int32]) throws(PosixError) {
        var set = Signals.makeSet(signals)
        fd = FileDescriptor(rawValue: try Posix.call("signalfd") { signalfd(-1, &set, cepoll_sfd_flags()) })
    }

    /// The next pending signal number, or `.wouldBlock` when none is pending.
    public func next() throws(PosixError) -> IOResult<Int32> {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        let result = try Posix.callIO("read(signalfd)") { Glibc.read(fd.rawValue, &info, size) }
        guard case .processed = result else { return .wouldBlock }
        return .processed(Int32(bitPattern: info.ssi_signo))
    }

    public func close() throws(PosixError) {
        try fd.close()
    }
}

extension EventLoop {
    /// Calls `handler` on this loop, once per delivered signal, for each of `signals`.
    ///
    /// The signals must already be blocked in every thread (``Signals/block(_:)`` on the main
    /// thread before starting loops), or their default action runs instead. The descriptor is
    /// closed when the loop stops. Loop thread only (e.g. inside ``execute(_:)``).
    public func watchSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) throws(PosixError) {
        final class Watcher: EventHandler {
            let descriptor: SignalDescriptor
            let handler: (Int32) -> Void
            init(descriptor: SignalDescriptor, handler: @escaping (Int32) -> Void) {
                self.descriptor = descriptor
                self.handler = handler
            }
            deinit { try? descriptor.close() }
            func readable() {
                while case .processed(let signal)? = try? descriptor.next() {
                    handler(signal)
                }
            }
            func hangup() {}
        }
        let descriptor = try SignalDescriptor(signals: signals)
        let watcher = Watcher(descriptor: descriptor, handler: handler)
        try register(descriptor.fd, interest: .readable, handler: watcher)
    }
}
