/// Watches: streams of every change to a key or range, from any retained revision.
extension Store {
    /// Starts a watcher. `onReady` is called (from a writer's thread, while the store is locked: it
    /// must be quick and must not call into the store) whenever the watcher goes from having nothing
    /// ready to having something ready; the consumer then calls `Watcher.poll()` until it returns
    /// nothing. The first response is the `created` notice.
    /// - Throws: `.emptyKey`.
    public func watch(_ request: WatchRequest, onReady: @escaping @Sendable () -> Void) throws(StoreError) -> Watcher {
        fatalError("watch: not implemented yet")
    }

    func poll(_ watcher: Watcher, maxEvents: Int) -> [WatchResponse] { [] }

    /// Cancels the watcher with this ID; unknown IDs are ignored.
    public func cancelWatch(_ id: Int64) {}

    func requestProgress(_ watcher: Watcher) {}

    /// Sends a progress notification to every caught-up watcher that asked for them.
    public func progressNotify() {}
}
