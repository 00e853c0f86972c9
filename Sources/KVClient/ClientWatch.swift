import KVPosix
import KVProtocol
import KVStore

/// One watch on a `KVClient` connection. Read its responses with `next(timeout:)` or the `responses`
/// async sequence; the last response of a watch is a `canceled` one (after `cancel()`, or when the
/// server cancels it, e.g. because the revision it needed was compacted).
public final class ClientWatch: @unchecked Sendable {
    // @unchecked: the only state is immutable; reads go through the client's mutex.
    private let client: KVClient
    private let sequence: UInt64
    /// The id the server gave the watch.
    public let watchID: Int64

    init(client: KVClient, sequence: UInt64, watchID: Int64) {
        self.client = client
        self.sequence = sequence
        self.watchID = watchID
    }

    /// The next response (events, a progress notification, or the final `canceled` one), waiting at
    /// most `timeout` (nil: until one arrives). Returns nil on timeout.
    /// - Throws: `.closed` after the final `canceled` response was returned, or when the connection is gone.
    public func next(timeout: Duration?) throws(ClientError) -> WatchResponse? {
        let deadline = timeout.map { Posix.deadline(afterNanoseconds: $0.nanoseconds) }
        return try client.nextWatchResponse(sequence, deadline: deadline)
    }

    /// Asks for a progress notification (`PROGRESS`; every watch of the connection gets one).
    public func requestProgress() throws(ClientError) {
        _ = try client.call(.progress)
    }

    /// Cancels the watch (`UNWATCH`). Its final `canceled` response is still delivered through `next`.
    public func cancel() throws(ClientError) {
        _ = try client.call(.unwatch(watchID))
    }

    /// The responses as an async sequence; it ends after the `canceled` response or when the consuming
    /// task is cancelled.
    public var responses: Responses { Responses(watch: self) }

    public struct Responses: AsyncSequence, Sendable {
        public typealias Element = WatchResponse
        let watch: ClientWatch

        public func makeAsyncIterator() -> Iterator { Iterator(watch: watch) }

        public struct Iterator: AsyncIteratorProtocol {
            let watch: ClientWatch
            var finished = false

            public mutating func next() async throws -> WatchResponse? {
                while !finished {
                    if Task.isCancelled { return nil }
                    // Short waits, so the task notices cancellation and other tasks get the thread.
                    if let response = try watch.next(timeout: .milliseconds(50)) {
                        if response.canceled { finished = true }
                        return response
                    }
                    await Task.yield()
                }
                return nil
            }
        }
    }
}

/// `KVClient.keepAlive(_:every:)`: renews a lease right away and then at every interval.
public struct LeaseKeepAlives: AsyncSequence, Sendable {
    public typealias Element = LeaseKeepAliveResponse
    let client: KVClient
    let leaseID: Int64
    let interval: Duration

    public func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let sequence: LeaseKeepAlives
        var first = true

        public mutating func next() async throws -> LeaseKeepAliveResponse? {
            if !first {
                do {
                    try await Task.sleep(for: sequence.interval)
                } catch {
                    return nil  // cancelled
                }
            }
            first = false
            if Task.isCancelled { return nil }
            return try sequence.client.keepAliveOnce(sequence.leaseID)
        }
    }
}
