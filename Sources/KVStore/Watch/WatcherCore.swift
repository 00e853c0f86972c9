/// A response waiting in a watcher's buffer. Events stay as record references until the consumer
/// takes them, so fanning one write out to many watchers copies no keys or values.
enum PendingResponse {
    case created(revision: Int64)
    /// The changes of one or more whole revisions; `revision` is the response header's.
    case events(revision: Int64, changes: [Change])
    case progress(revision: Int64)
    case canceled(revision: Int64, compactRevision: Int64, reason: String)

    var eventCount: Int {
        if case .events(_, let changes) = self { return changes.count }
        return 0
    }
}

/// A watcher's state, kept in the store's `WatcherHub` and changed only under the store's lock.
///
/// A *synced* watcher is registered for live changes: every write that touches its range appends a
/// response to its buffer. When the buffer is full (its consumer is slow), the watcher becomes
/// *unsynced*: it is unregistered and remembers the first revision it has not buffered
/// (`nextRevision`); once its consumer drains the buffer, `Store.poll` reads that history back from
/// the index, then registers it again. So a slow consumer costs a bounded buffer, never lost events.
struct WatcherCore {
    let id: Int64
    let range: KeyRange
    let prevKV: Bool
    let noPut: Bool
    let noDelete: Bool
    let progressNotify: Bool
    /// Events below this revision are not reported (a watch started at a future revision).
    let minimumRevision: Int64
    let onReady: @Sendable () -> Void

    var buffer: [PendingResponse] = []
    var bufferedEvents = 0
    var synced: Bool
    /// For an unsynced watcher: the first revision whose changes it has not buffered.
    var nextRevision: Int64
    /// Whether `onReady` was called and the consumer has not yet found the buffer empty.
    var signaled = false
    /// Whether the last history read outside the lock reached the then-current revision: what remains
    /// is short, so the next one is done under the lock and ends with the watcher synced.
    var nearlyCaughtUp = false
    /// Whether the last buffered response is a cancel: the watcher ends once it is taken.
    var finishing = false

    /// Whether a change passes the watcher's range and filters.
    func accepts(_ change: Change) -> Bool {
        if change.record.isTombstone ? noDelete : noPut { return false }
        if change.record.modMain < minimumRevision { return false }
        return true
    }

    /// Appends a response and wakes the consumer if it was waiting.
    mutating func enqueue(_ response: PendingResponse) {
        buffer.append(response)
        bufferedEvents += response.eventCount
        if !signaled {
            signaled = true
            onReady()
        }
    }
}
