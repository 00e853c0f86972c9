import Glibc
import Synchronization

/// A single-threaded event loop on its own pthread: epoll readiness, a cross-thread task
/// queue, timers and a before-sleep hook.
///
/// Each iteration ("tick") does, in order:
/// 1. `beforeSleep` (where a server flushes output buffers);
/// 2. `epoll_wait`, which does not block if tasks are queued, and otherwise blocks until the
///    earliest timer (or forever without timers);
/// 3. handlers for the events that one wait returned (at most `maxEventsPerWait`);
/// 4. the timers that are due;
/// 5. at most `maxTasksPerTick` queued tasks, in FIFO order.
///
/// Thread rules: ``execute(_:)``, ``schedule(after:every:_:)``, ``cancel(_:)``, ``stop()``
/// and ``join()`` work from any thread. Registration and the `OnLoop` variants must be called
/// on the loop thread (from a handler, a timer or an `execute` task). ``beforeSleep`` and
/// ``onStop`` are set before ``start()`` or on the loop thread.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: the state below "Loop thread only" is touched only on the loop thread
    // (checked by assertions), and the loop thread is created after `init`, which publishes it.
    // Everything shared across threads is a `let`, an `Atomic` or behind the `PosixMutex`.

    public struct Configuration: Sendable {
        /// Thread name, visible in `top -H` and debuggers (first 15 bytes).
        public var name: String
        /// Capacity of the epoll event array: the most events handled per tick.
        public var maxEventsPerWait: Int
        /// The most queued tasks run per tick; the rest wait for the next tick (without sleeping).
        public var maxTasksPerTick: Int

        public init(name: String = "kv-loop", maxEventsPerWait: Int = 256, maxTasksPerTick: Int = 64) {
            self.name = name
            self.maxEventsPerWait = maxEventsPerWait
            self.maxTasksPerTick = maxTasksPerTick
        }
    }

    /// Cross-thread state, guarded by `shared`.
    private struct Shared {
        var tasks: [@Sendable () -> Void] = []
        /// Index of the first task not yet taken by the loop.
        var head = 0
        /// Set by `stop()`; the loop exits at the end of the current tick.
        var stopRequested = false
        /// Set by the loop once it has closed its descriptors; no more wake-ups after that.
        var closed = false
        var thread: PosixThread?

        var isEmpty: Bool { head == tasks.count }
    }

    private struct Slot {
        var handler: EventHandler?
        var interest: EpollInterest = []
        /// Bumped on every register and deregister; events carrying an older value are stale.
        var generation: UInt32 = 0
    }

    public let configuration: Configuration
    private let epoll: Epoll
    private let wakeup: Wakeup
    private let shared = PosixMutex(Shared())
    private let nextTimerID = Atomic<UInt64>(1)
    /// `pthread_t` of the loop thread, 0 before it starts.
    private let loopThread = Atomic<UInt>(0)

    // Loop thread only.
    private var slots: [Slot] = []
    private var registered = 0
    private var timers = TimerQueue()
    private var events: EpollEvents
    private var batch: [@Sendable () -> Void] = []

    /// Runs at the start of every tick, before the loop may block. Set before ``start()`` or on
    /// the loop thread.
    public var beforeSleep: (() -> Void)?

    /// Runs once on the loop thread when it stops, before it closes its epoll and eventfd: the
    /// place to close the connections still registered. Set before ``start()`` or on the loop.
    public var onStop: (() -> Void)?

    private static let wakeupToken = UInt64.max

    public init(configuration: Configuration = Configuration()) throws(PosixError) {
        precondition(configuration.maxTasksPerTick > 0, "maxTasksPerTick must be positive")
        self.configuration = configuration
        epoll = try Epoll()
        do {
            wakeup = try Wakeup()
        } catch {
            try? epoll.close()
            throw error
        }
        events = EpollEvents(capacity: configuration.maxEventsPerWait)
        do {
            try epoll.add(wakeup.fd, interest: .readable, data: EventLoop.wakeupToken)
        } catch {
            try? wakeup.close()
            try? epoll.close()
            throw error
        }
    }

    deinit {
        // A loop that ran closed its descriptors itself (and kept itself alive while running).
        let neverRan = shared.withLock { !$0.closed && $0.thread == nil }
        if neverRan {
            try? wakeup.close()
            try? epoll.close()
        }
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        pthread_equal(pthread_t(loopThread.load(ordering: .acquiring)), pthread_self()) != 0
    }

    /// Starts the loop thread. Call once.
    public func start() throws(PosixError) {
        try shared.withLock { (state) throws(PosixError) in
            precondition(state.thread == nil && !state.closed, "EventLoop.start() called twice")
            // The thread keeps the loop alive until it has shut down.
            state.thread = try PosixThread.spawn(name: configuration.name) { [self] in run() }
        }
    }

    // MARK: Cross-thread API

    /// Queues `work` to run on the loop thread after the tasks queued before it (FIFO), waking
    /// the loop if it is asleep. Returns false, dropping `work`, once the loop is stopping.
    /// Tasks still queued when the loop stops are dropped without running.
    @discardableResult
    public func execute(_ work: @Sendable @escaping () -> Void) -> Bool {
        let onLoop = inEventLoop
        return shared.withLock { state in
            guard !state.stopRequested else { return false }
            let wasEmpty = state.isEmpty
            state.tasks.append(work)
            // The loop checks the queue before it blocks, so only an empty-to-non-empty
            // transition from another thread needs the eventfd.
            if wasEmpty && !onLoop { wakeup.signal() }
            return true
        }
    }

    /// Runs `work` on the loop thread once after `nanoseconds`, then every `every` nanoseconds
    /// if given, until cancelled. Callable from any thread; the deadline counts from this call.
    /// Timers with equal deadlines fire in scheduling order.
    @discardableResult
    public func schedule(
        after nanoseconds: UInt64, every interval: UInt64? = nil, _ work: @Sendable @escaping () -> Void
    ) -> TimerID {
        let deadline = Posix.monotonicNanoseconds() &+ nanoseconds
        let id = TimerID(rawValue: nextTimerID.wrappingAdd(1, ordering: .relaxed).oldValue)
        if inEventLoop {
            timers.schedule(id: id.rawValue, deadline: deadline, interval: interval ?? 0, work: work)
        } else {
            execute { [self] in
                timers.schedule(id: id.rawValue, deadline: deadline, interval: interval ?? 0, work: work)
            }
        }
        return id
    }

    /// Cancels a timer. Callable from any thread; from another thread it takes effect when the
    /// loop gets to it, so the timer may still fire once in between. Use ``cancelOnLoop(_:)``
    /// on the loop thread for a definite answer.
    public func cancel(_ id: TimerID) {
        if inEventLoop {
            timers.cancel(id: id.rawValue)
        } else {
            execute { [self] in timers.cancel(id: id.rawValue) }
        }
    }

    /// Asks the loop to stop at the end of its current tick. Callable from any thread (also
    /// from the loop itself) any number of times; returns at once. Then call ``join()``.
    public func stop() {
        shared.withLock { state in
            guard !state.stopRequested else { return }
            state.stopRequested = true
            if !state.closed { wakeup.signal() }
        }
    }

    /// Waits until the loop thread has finished (returns at once if it never started).
    /// Must not be called on the loop thread.
    public func join() {
        precondition(!inEventLoop, "EventLoop.join() called on its own thread")
        let thread = shared.withLock { $0.thread }
        thread?.join()
    }

    // MARK: Loop-thread API

    /// Registers `fd` with `handler`, replacing any earlier registration of the same number.
    /// The loop keeps `handler` alive until ``deregister(_:)``. Loop thread only.
    public func register(
        _ fd: FileDescriptor, interest: EpollInterest, handler: EventHandler
    ) throws(PosixError) {
        assertOnLoop()
        let index = Int(fd.rawValue)
        if index >= slots.count {
            slots.append(contentsOf: repeatElement(Slot(), count: max(index + 1 - slots.count, slots.count)))
        }
        let generation = slots[index].generation &+ 1
        let data = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd.rawValue))
        if slots[index].handler != nil {
            try epoll.modify(fd, interest: interest, data: data)
        } else {
            try epoll.add(fd, interest: interest, data: data)
            registered += 1
        }
        slots[index] = Slot(handler: handler, interest: interest, generation: generation)
    }

    /// Changes what a registered `fd` waits for (e.g. add `.writable` after a short write).
    /// Does nothing if the interest is unchanged. Loop thread only.
    public func setInterest(_ fd: FileDescriptor, _ interest: EpollInterest) throws(PosixError) {
        assertOnLoop()
        let index = Int(fd.rawValue)
        precondition(index < slots.count && slots[index].handler != nil, "setInterest on an unregistered fd")
        guard slots[index].interest != interest else { return }
        let data = UInt64(slots[index].generation) << 32 | UInt64(UInt32(bitPattern: fd.rawValue))
        try epoll.modify(fd, interest: interest, data: data)
        slots[index].interest = interest
    }

    /// The interest set of a registered `fd`, or nil. Loop thread only.
    public func interest(of fd: FileDescriptor) -> EpollInterest? {
        assertOnLoop()
        let index = Int(fd.rawValue)
        return index < slots.count && slots[index].handler != nil ? slots[index].interest : nil
    }

    /// Stops watching `fd` and releases its handler; call it before closing `fd`. Events for
    /// `fd` still pending in this tick are dropped. Unknown descriptors are ignored.
    /// Loop thread only.
    public func deregister(_ fd: FileDescriptor) {
        assertOnLoop()
        let index = Int(fd.rawValue)
        guard index < slots.count, slots[index].handler != nil else { return }
        // ENOENT (already closed elsewhere) is harmless; the slot is released either way.
        try? epoll.remove(fd)
        slots[index].handler = nil
        slots[index].generation &+= 1
        registered -= 1
    }

    /// How many descriptors are registered (not counting the loop's own eventfd). Loop thread only.
    public var registeredCount: Int {
        assertOnLoop()
        return registered
    }

    /// Like ``schedule(after:every:_:)`` for work that is not `Sendable` (it captures
    /// loop-owned objects). Loop thread only.
    @discardableResult
    public func scheduleOnLoop(
        after nanoseconds: UInt64, every interval: UInt64? = nil, _ work: @escaping () -> Void
    ) -> TimerID {
        assertOnLoop()
        let id = TimerID(rawValue: nextTimerID.wrappingAdd(1, ordering: .relaxed).oldValue)
        timers.schedule(
            id: id.rawValue, deadline: Posix.monotonicNanoseconds() &+ nanoseconds, interval: interval ?? 0,
            work: work)
        return id
    }

    /// Cancels a timer at once; returns false if it already fired (one-shot) or was cancelled.
    /// Loop thread only.
    @discardableResult
    public func cancelOnLoop(_ id: TimerID) -> Bool {
        assertOnLoop()
        return timers.cancel(id: id.rawValue)
    }

    // MARK: The loop

    private func assertOnLoop() {
        assert(inEventLoop, "called off the event loop thread")
    }

    private func run() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        var moreTasks = false
        while !shared.withLock({ $0.stopRequested }) {
            beforeSleep?()
            let timeout = moreTasks || !shared.withLock({ $0.isEmpty }) ? 0 : timeoutUntilNextTimer()
            let count: Int
            do {
                count = try epoll.wait(into: &events, timeoutMilliseconds: timeout)
            } catch {
                // epoll_wait only fails for invalid arguments, which would be a bug here.
                preconditionFailure("\(error)")
            }
            for index in 0..<count {
                dispatch(events[index])
            }
            runDueTimers()
            moreTasks = runTasks()
        }
        shutDown()
    }

    /// Milliseconds until the earliest timer, rounded up so the loop does not wake just early
    /// and spin; -1 (block) without timers.
    private func timeoutUntilNextTimer() -> Int32 {
        guard let deadline = timers.nextDeadline() else { return -1 }
        let now = Posix.monotonicNanoseconds()
        guard deadline > now else { return 0 }
        return Posix.milliseconds(until: deadline, now: now)
    }

    /// Runs the timers due now. Each entry is taken out of the queue before its work runs, so
    /// the work may schedule or cancel timers (including itself).
    private func runDueTimers() {
        let now = Posix.monotonicNanoseconds()
        let mark = timers.mark
        while let entry = timers.popDue(now: now, scheduledBefore: mark) {
            entry.work()
            timers.rearm(entry, now: now)
        }
    }

    private func dispatch(_ event: EpollEvent) {
        if event.data == EventLoop.wakeupToken {
            wakeup.drain()
            return
        }
        let index = Int(event.data & 0xffff_ffff)
        let generation = UInt32(truncatingIfNeeded: event.data >> 32)
        func current() -> EventHandler? {
            guard index < slots.count, slots[index].generation == generation else { return nil }
            return slots[index].handler
        }
        if event.isReadable, let handler = current() { handler.readable() }
        if event.isWritable, let handler = current() { handler.writable() }
        if event.isHangup || event.isError, let handler = current() { handler.hangup() }
    }

    /// Runs up to `maxTasksPerTick` queued tasks; returns whether more are waiting.
    private func runTasks() -> Bool {
        let limit = configuration.maxTasksPerTick
        shared.withLock { state in
            let end = min(state.head + limit, state.tasks.count)
            guard state.head < end else { return }
            batch.append(contentsOf: state.tasks[state.head..<end])
            state.head = end
            if state.head == state.tasks.count {
                state.tasks.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 1024 && state.head * 2 >= state.tasks.count {
                state.tasks.removeFirst(state.head)
                state.head = 0
            }
        }
        for work in batch { work() }
        batch.removeAll(keepingCapacity: true)
        return !shared.withLock { $0.isEmpty }
    }

    private func shutDown() {
        onStop?()
        onStop = nil
        beforeSleep = nil
        let dropped = shared.withLock { state in
            state.closed = true
            state.stopRequested = true
            let dropped = state.tasks
            state.tasks = []
            state.head = 0
            return dropped
        }
        _ = dropped  // released here, outside the lock: their captures may run deinit code
        timers.removeAll()
        slots.removeAll()
        registered = 0
        try? wakeup.close()
        try? epoll.close()
    }
}
