import Glibc

/// A value guarded by a `pthread_mutex_t`.
///
/// Used for all shared state in the project instead of `Synchronization.Mutex` because
/// ThreadSanitizer on Linux does not see that type's futex-based locking and reports every
/// access it guards as a race, which would hide real races in sanitizer runs. Pthread mutexes
/// are intercepted by the sanitizer. The lock is not recursive: taking it again from inside
/// `withLock` deadlocks.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only read or written while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed with error \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&valueStorage)
    }

    @usableFromInline
    var valueStorage: Value {
        _read { yield value }
        _modify { yield &value }
    }

    @usableFromInline
    func lock() { pthread_mutex_lock(mutex) }

    @usableFromInline
    func unlock() { pthread_mutex_unlock(mutex) }
}
