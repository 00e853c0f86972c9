/// One message to a watcher: events (all of one revision, or on replay several whole revisions),
/// or a notice — `created`, `canceled` (with `compactRevision` when history it needed was compacted),
/// or an empty progress notification carrying the current revision in its header.
public struct WatchResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var watchID: Int64
    public var created: Bool
    public var canceled: Bool
    /// Set when the watcher was canceled because the revision it needed next was compacted.
    public var compactRevision: Int64
    public var cancelReason: String
    public var events: [Event]

    public init(header: ResponseHeader, watchID: Int64, created: Bool = false, canceled: Bool = false,
                compactRevision: Int64 = 0, cancelReason: String = "", events: [Event] = []) {
        self.header = header
        self.watchID = watchID
        self.created = created
        self.canceled = canceled
        self.compactRevision = compactRevision
        self.cancelReason = cancelReason
        self.events = events
    }

    /// True for a progress notification (no events, not a created or canceled notice).
    public var isProgressNotify: Bool { events.isEmpty && !created && !canceled }
}
