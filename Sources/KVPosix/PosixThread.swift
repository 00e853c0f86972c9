import CEpoll
import Glibc

/// A joinable pthread running one closure.
///
/// `join()` may be called from any thread other than this one, any number of times: the first
/// call waits for the thread and reaps it; later calls wait for that first call to finish and
/// then return. A thread that is never joined stays a zombie until the process exits.
public final class PosixThread: Sendable {
    private let handle: pthread_t
    /// True once the thread has been reaped; held across `pthread_join` so that concurrent
    /// joiners queue behind the first one.
    private let joined = PosixMutex(false)

    private init(handle: pthread_t) {
        self.handle = handle
    }

    /// Starts a thread named `name` (Linux keeps the first 15 bytes) running `body`.
    public static func spawn(name: String, _ body: @Sendable @escaping () -> Void) throws(PosixError) -> PosixThread {
        final class Start {
            let name: String
            let body: () -> Void
            init(name: String, body: @escaping () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            cepoll_set_thread_name(start.name)
            start.body()
            return nil
        }, start)
        guard result == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw PosixError(call: "pthread_create", code: result)
        }
        return PosixThread(handle: handle)
    }

    /// True when called on this thread.
    public var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }

    /// Waits for the thread to finish. Calling it from the thread itself is a bug (a deadlock).
    public func join() {
        precondition(!isCurrent, "a thread cannot join itself")
        joined.withLock { done in
            guard !done else { return }
            let result = pthread_join(handle, nil)
            precondition(result == 0, "pthread_join: \(PosixError(call: "pthread_join", code: result))")
            done = true
        }
    }
}
