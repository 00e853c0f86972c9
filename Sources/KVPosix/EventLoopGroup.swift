import Synchronization

/// A fixed set of started ``EventLoop``s with round-robin selection, e.g. one per core for
/// spreading accepted connections.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// Creates and starts `count` loops named `<name>-0`, `<name>-1`, ... If one fails to start,
    /// the ones already started are stopped and joined before the error is thrown.
    public init(count: Int, configuration: EventLoop.Configuration = .init()) throws(PosixError) {
        precondition(count > 0, "an EventLoopGroup needs at least one loop")
        var loops: [EventLoop] = []
        do throws(PosixError) {
            for index in 0..<count {
                var config = configuration
                config.name = "\(configuration.name)-\(index)"
                let loop = try EventLoop(configuration: config)
                try loop.start()
                loops.append(loop)
            }
        } catch {
            for loop in loops { loop.stop() }
            for loop in loops { loop.join() }
            throw error
        }
        self.loops = loops
    }

    /// The next loop in round-robin order. Safe from any thread.
    public func next() -> EventLoop {
        let index = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        return loops[Int(UInt(bitPattern: index) % UInt(loops.count))]
    }

    /// Asks every loop to stop; returns at once.
    public func stop() {
        for loop in loops { loop.stop() }
    }

    /// Waits for every loop thread to finish. Not from one of the group's loops.
    public func join() {
        for loop in loops { loop.join() }
    }

    /// ``stop()`` then ``join()``.
    public func shutdown() {
        stop()
        join()
    }
}
