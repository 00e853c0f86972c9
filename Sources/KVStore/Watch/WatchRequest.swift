/// What to watch: one key or a range (etcd's `rangeEnd` conventions, see `KeyRange`), from which
/// revision, and what each event should carry.
public struct WatchRequest: Hashable, Sendable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    /// The first revision to report (0: only changes after now). A past revision replays history
    /// from it; one below the compacted revision cancels the watch with `compactRevision` set.
    public var startRevision: Int64
    /// Attach the key's previous version to each event.
    public var prevKV: Bool
    /// Leave out put events.
    public var noPut: Bool
    /// Leave out delete events.
    public var noDelete: Bool
    /// Ask for periodic empty responses carrying the current revision while nothing changes.
    public var progressNotify: Bool
    /// The watch ID its responses carry (0: the store's own ID for the watcher, `Watcher.id`). On the
    /// wire it is `WATCH --watch-id=N`, an ID of the client's connection: the server keeps each
    /// connection's IDs unique (`WatchIDSpace`); the store itself does not check it.
    public var watchID: Int64

    public init(key: [UInt8], rangeEnd: [UInt8] = [], startRevision: Int64 = 0, prevKV: Bool = false,
                noPut: Bool = false, noDelete: Bool = false, progressNotify: Bool = false, watchID: Int64 = 0) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.prevKV = prevKV
        self.noPut = noPut
        self.noDelete = noDelete
        self.progressNotify = progressNotify
        self.watchID = watchID
    }

    public init(_ range: KeyRange, startRevision: Int64 = 0, prevKV: Bool = false) {
        let (key, end) = range.wire
        self.init(key: key, rangeEnd: end, startRevision: startRevision, prevKV: prevKV)
    }
}
