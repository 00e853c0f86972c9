import KVSync

/// A watch as an `AsyncSequence` of responses, for apps that embed the store. The first response is
/// the `created` notice; the sequence ends after a canceled response, or when the task iterating it
/// is cancelled (which cancels the watcher).
///
///     for try await response in try store.watch(WatchRequest(.prefix(Array("jobs/".utf8)))) {
///         for event in response.events { print(event.type, event.kv.keyString) }
///     }
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchResponse

    public let watcher: Watcher
    let signal: WatchSignal

    public func makeAsyncIterator() -> Iterator { Iterator(watcher: watcher, signal: signal) }

    public struct Iterator: AsyncIteratorProtocol {
        let watcher: Watcher
        let signal: WatchSignal
        var ready: [WatchResponse] = []
        var done = false

        public mutating func next() async -> WatchResponse? {
            while !done {
                if !ready.isEmpty {
                    let response = ready.removeFirst()
                    if response.canceled { done = true }
                    return response
                }
                ready = watcher.poll()
                if !ready.isEmpty { continue }
                if watcher.isFinished || Task.isCancelled { break }
                let signal = self.signal
                let watcher = self.watcher
                await withTaskCancellationHandler {
                    await signal.wait()
                } onCancel: {
                    signal.fire()
                    watcher.cancel()
                }
            }
            done = true
            return nil
        }
    }
}

/// Wakes a waiting iterator when its watcher has something ready; a signal that arrives before the
/// wait is remembered, so none is lost between a poll and the wait.
final class WatchSignal: Sendable {
    private let state = Locked<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

extension Store {
    /// Starts a watcher and returns its responses as an `AsyncSequence`.
    /// - Throws: as `watch(_:onReady:)`.
    public func watch(_ request: WatchRequest) throws(StoreError) -> WatchStream {
        let signal = WatchSignal()
        let watcher = try watch(request) { signal.fire() }
        return WatchStream(watcher: watcher, signal: signal)
    }
}
