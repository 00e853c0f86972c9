/// A live watch: the handle through which its responses are taken.
///
/// Responses are *pulled*: the store calls the `onReady` handler given to `Store.watch` when the
/// watcher goes from having nothing ready to having something ready, and the consumer then calls
/// `poll` until it returns nothing. A consumer that stops polling is never a memory problem: once
/// its buffer is full the watcher falls back to reading the store's history when polled again, so it
/// loses nothing (unless the history it needs is compacted first; then it is canceled with
/// `compactRevision` set, as etcd does).
public final class Watcher: Sendable {
    /// The store's own ID for this watcher: unique among the store's live watchers and chosen by the
    /// store, never by a client (`Store.cancelWatch` takes it).
    public let id: Int64
    /// The ID its responses carry (`WatchResponse.watchID`): the `WatchRequest.watchID` it was created
    /// with, or `id` when that was 0.
    public let watchID: Int64
    let store: Store

    init(id: Int64, watchID: Int64, store: Store) {
        self.id = id
        self.watchID = watchID
        self.store = store
    }

    /// Takes the responses that are ready, up to about `maxEvents` events (whole revisions are never
    /// split), catching up from history when the watcher had fallen behind.
    /// - Returns: nothing when nothing is ready; after a canceled response the watcher is finished.
    public func poll(maxEvents: Int = 1000) -> [WatchResponse] {
        store.poll(self, maxEvents: maxEvents)
    }

    /// Whether the watcher has delivered its last (canceled) response or was canceled.
    public var isFinished: Bool { store.isFinished(self) }

    /// Stops the watcher and releases everything it holds. No further responses are produced.
    public func cancel() { store.cancelWatch(id) }

    /// Queues an empty response carrying the current revision, once the watcher has caught up.
    public func requestProgress() { store.requestProgress(self) }
}
