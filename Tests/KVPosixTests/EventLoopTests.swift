import Glibc
import Testing

@testable import KVPosix

/// Accepts connections and registers an ``EchoConnection`` for each.
private final class Acceptor: EventHandler {
    let loop: EventLoop
    let listener: Socket
    var connections: [EchoConnection] = []

    init(loop: EventLoop, listener: Socket) {
        self.loop = loop
        self.listener = listener
    }

    func readable() {
        while case .processed(let socket)? = try? listener.accept() {
            try? socket.setNoDelay(true)
            let connection = EchoConnection(loop: loop, socket: socket)
            connections.append(connection)
            try? loop.register(socket.fd, interest: [.readable, .peerClosed], handler: connection)
        }
    }

    func hangup() {}

    /// The before-sleep hook: flush every connection's pending output.
    func flushAll() {
        for connection in connections where !connection.closed { connection.flush() }
    }

    func closeAll() {
        for connection in connections where !connection.closed { connection.close() }
        loop.deregister(listener.fd)
        try? listener.close()
    }
}

/// Echoes what it reads: reads everything available, buffers, flushes before the loop sleeps,
/// and asks for `.writable` only after a short write.
private final class EchoConnection: EventHandler {
    let loop: EventLoop
    let socket: Socket
    var output: [UInt8] = []
    var closed = false
    var input = [UInt8](repeating: 0, count: 16384)

    init(loop: EventLoop, socket: Socket) {
        self.loop = loop
        self.socket = socket
    }

    func readable() {
        while !closed {
            let result = try? input.withUnsafeMutableBytes { try socket.receive(into: $0) }
            switch result {
            case .processed(let n)? where n > 0: output.append(contentsOf: input[..<n])
            case .wouldBlock?: return
            default: close()  // end of stream or error
            }
        }
    }

    func writable() { flush() }

    func hangup() { if !closed { readable() } }

    func flush() {
        while !output.isEmpty {
            let result = try? output.withUnsafeBytes { try socket.send($0) }
            switch result {
            case .processed(let n)?: output.removeFirst(n)
            case .wouldBlock?:
                try? loop.setInterest(socket.fd, [.readable, .peerClosed, .writable])
                return
            case nil:
                close()
                return
            }
        }
        try? loop.setInterest(socket.fd, [.readable, .peerClosed])
    }

    func close() {
        closed = true
        loop.deregister(socket.fd)
        try? socket.close()
    }
}

@Suite struct EventLoopTests {
    @Test func echoRoundTripThroughTheLoop() throws {
        try withLoop { loop in
            let (listener, address) = try loopbackListener()
            loop.execute {
                let acceptor = Acceptor(loop: loop, listener: listener)
                loop.beforeSleep = { acceptor.flushAll() }
                loop.onStop = { acceptor.closeAll() }
                try! loop.register(listener.fd, interest: .readable, handler: acceptor)
            }
            let client = try Socket.connect(to: address, timeoutNanoseconds: milliseconds(2000))
            defer { try? client.close() }
            try client.setReceiveTimeout(nanoseconds: milliseconds(5000))
            try client.setSendTimeout(nanoseconds: milliseconds(5000))

            // A payload larger than the socket buffers forces short writes and EPOLLOUT.
            let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let sender = try PosixThread.spawn(name: "sender") {
                var offset = 0
                while offset < payload.count {
                    let result = try? payload[offset...].withUnsafeBytes { try client.send($0) }
                    guard case .processed(let n)? = result else { return }
                    offset += n
                }
            }
            let echoed = try receiveExactly(client, count: payload.count)
            sender.join()
            #expect(echoed.count == payload.count)
            #expect(echoed == payload)
        }
    }

    @Test func executeFromAnotherThreadRunsInOrderAndWakesTheLoop() throws {
        try withLoop(.init(name: "test-exec", maxTasksPerTick: 16)) { loop in
            let seen = Locked<[Int]>([])
            let count = 1000
            let producer = try PosixThread.spawn(name: "producer") {
                for index in 0..<count {
                    loop.execute {
                        precondition(loop.inEventLoop)
                        seen.update { $0.append(index) }
                    }
                }
            }
            producer.join()
            #expect(waitUntil { seen.value.count == count })
            #expect(seen.value == Array(0..<count))

            // An idle loop (no timers: it blocks without timeout) wakes up for new work.
            usleep(20_000)
            let started = Posix.monotonicNanoseconds()
            let ran = Locked(false)
            loop.execute { ran.update { $0 = true } }
            #expect(waitUntil(milliseconds: 2000) { ran.value })
            #expect(Posix.monotonicNanoseconds() - started < milliseconds(1000))
            #expect(!loop.inEventLoop)
        }
    }

    @Test func timersFireInDeadlineOrderAndCancelWorks() throws {
        try withLoop { loop in
            let fired = Locked<[Int]>([])
            loop.execute {
                loop.scheduleOnLoop(after: milliseconds(60)) { fired.update { $0.append(60) } }
                loop.scheduleOnLoop(after: milliseconds(20)) { fired.update { $0.append(20) } }
                let cancelled = loop.scheduleOnLoop(after: milliseconds(30)) { fired.update { $0.append(30) } }
                loop.scheduleOnLoop(after: milliseconds(40)) { fired.update { $0.append(40) } }
                #expect(loop.cancelOnLoop(cancelled))
                #expect(!loop.cancelOnLoop(cancelled))
            }
            // From another thread too.
            let remote = loop.schedule(after: milliseconds(50)) { fired.update { $0.append(50) } }
            loop.schedule(after: milliseconds(10)) { fired.update { $0.append(10) } }
            loop.cancel(remote)
            #expect(waitUntil { fired.value.count >= 4 })
            usleep(50_000)
            #expect(fired.value == [10, 20, 40, 60])
        }
    }

    @Test func repeatingTimerRunsUntilCancelled() throws {
        try withLoop { loop in
            let ticks = Locked(0)
            loop.execute {
                var id: TimerID?
                id = loop.scheduleOnLoop(after: milliseconds(1), every: milliseconds(5)) {
                    let count = ticks.update { value -> Int in
                        value += 1
                        return value
                    }
                    if count == 3, let id { loop.cancelOnLoop(id) }
                }
            }
            #expect(waitUntil { ticks.value >= 3 })
            usleep(40_000)
            #expect(ticks.value == 3)
        }
    }

    @Test func beforeSleepRunsEveryTick() throws {
        try withLoop { loop in
            let ticks = Locked(0)
            loop.execute { loop.beforeSleep = { ticks.update { $0 += 1 } } }
            for _ in 0..<5 {
                loop.execute {}
                usleep(2000)
            }
            #expect(waitUntil { ticks.value >= 3 })
        }
    }

    @Test func stopAndJoinArePromptAndFinal() throws {
        let loop = try EventLoop(configuration: .init(name: "test-stop"))
        try loop.start()
        let stopped = Locked(false)
        loop.execute {
            loop.onStop = { stopped.update { $0 = true } }
            // A far timer must not keep the loop alive.
            loop.scheduleOnLoop(after: milliseconds(60_000)) {}
        }
        usleep(10_000)
        let started = Posix.monotonicNanoseconds()
        let stopper = try PosixThread.spawn(name: "stopper") { loop.stop() }
        loop.join()
        stopper.join()
        #expect(Posix.monotonicNanoseconds() - started < milliseconds(1000))
        #expect(stopped.value)
        #expect(!loop.execute {})
        loop.stop()
        loop.join()
    }

    @Test func groupHandsOutLoopsRoundRobin() throws {
        let group = try EventLoopGroup(count: 2, configuration: .init(name: "test-group"))
        defer { group.shutdown() }
        let first = group.next(), second = group.next(), third = group.next()
        #expect(first !== second)
        #expect(first === third)
        let ran = Locked(0)
        for loop in group.loops { loop.execute { ran.update { $0 += 1 } } }
        #expect(waitUntil { ran.value == 2 })
    }

    @Test func signalsArriveThroughTheLoop() throws {
        try withLoop { loop in
            let received = Locked<[Int32]>([])
            loop.execute {
                // Blocked on the loop thread only, and sent to that thread, so nothing else sees it.
                try! Signals.block([SIGUSR1])
                try! loop.watchSignals([SIGUSR1]) { signal in received.update { $0.append(signal) } }
                pthread_kill(pthread_self(), SIGUSR1)
            }
            #expect(waitUntil { received.value == [SIGUSR1] })
        }
    }
}

/// Deadlines and waits from any timeout: saturating, never wrapping or overflowing.
@Suite struct DeadlineTests {
    @Test(arguments: [UInt64(0), 1, 999_999, 1_000_000, 1_000_001, UInt64(Int64.max), UInt64.max - 1, UInt64.max])
    func deadlineSaturates(nanoseconds: UInt64) {
        let before = Posix.monotonicNanoseconds()
        let deadline = Posix.deadline(afterNanoseconds: nanoseconds)
        #expect(deadline >= before)
        let (expected, overflow) = before.addingReportingOverflow(nanoseconds)
        if overflow { #expect(deadline == UInt64.max) } else { #expect(deadline >= expected) }
    }

    static let waits: [(deadline: UInt64, now: UInt64, milliseconds: Int32)] = [
        (0, 5, 0), (5, 5, 0), (6, 5, 1), (1_000_005, 5, 1), (1_000_006, 5, 2),
        (UInt64.max, 0, Int32.max), (UInt64.max, UInt64.max - 1, 1), (UInt64.max, UInt64.max, 0),
        (UInt64.max - 999_999, 0, Int32.max),
    ]

    @Test(arguments: waits)
    func waitRoundsUpAndClamps(deadline: UInt64, now: UInt64, milliseconds: Int32) {
        #expect(Posix.milliseconds(until: deadline, now: now) == milliseconds)
    }
}

@Suite struct TimerQueueTests {
    @Test func equalDeadlinesFireInSchedulingOrder() {
        var queue = TimerQueue()
        var order: [Int] = []
        queue.schedule(id: 1, deadline: 100, interval: 0) { order.append(1) }
        queue.schedule(id: 2, deadline: 50, interval: 0) { order.append(2) }
        queue.schedule(id: 3, deadline: 100, interval: 0) { order.append(3) }
        queue.schedule(id: 4, deadline: 100, interval: 0) { order.append(4) }
        queue.cancel(id: 3)
        #expect(queue.nextDeadline() == 50)
        #expect(queue.runDue(now: 99) == 1)
        #expect(queue.runDue(now: 100) == 2)
        #expect(order == [2, 1, 4])
        #expect(queue.nextDeadline() == nil)
    }

    @Test func repeatingTimerIsRearmedWithoutReplayingMissedPeriods() {
        var queue = TimerQueue()
        var runs = 0
        queue.schedule(id: 1, deadline: 10, interval: 10) { runs += 1 }
        #expect(queue.runDue(now: 10) == 1)
        #expect(queue.nextDeadline() == 20)
        #expect(queue.runDue(now: 95) == 1)  // fell behind: one run, not eight
        #expect(queue.nextDeadline() == 105)
        #expect(runs == 2)
    }

    @Test func cancelledTimersDoNotPileUp() {
        var queue = TimerQueue()
        for id in 0..<10_000 { queue.schedule(id: UInt64(id), deadline: 1_000_000 + UInt64(id), interval: 0) {} }
        for id in 0..<9_990 { queue.cancel(id: UInt64(id)) }
        #expect(queue.count == 10)
        #expect(queue.nextDeadline() == 1_009_990)
        #expect(queue.runDue(now: .max) == 10)
    }
}
