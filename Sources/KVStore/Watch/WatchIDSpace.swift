/// The watch IDs of one stream — one connection of the line protocol (or, later, one gRPC Watch
/// stream). As in etcd, a watch ID belongs to the stream that created the watch: two streams may use
/// the same ID, and nothing one client does with its IDs can affect another's.
///
/// The rules are etcd's (`mvcc.watchStream.Watch`):
///
/// * **Automatic** (a request for 0, or any ID ≤ 0): the next free ID of a counter that starts at
///   `firstAutomaticID` and only counts up, skipping IDs that are in use. An ID released later is not
///   handed out automatically again until the counter wraps (after `Int64.max`, back to
///   `firstAutomaticID`), which no real stream reaches.
/// * **Explicit** (a request for an ID > 0): that ID, unless it is in use on this stream
///   (`StoreError.watchIDInUse`, etcd's "mvcc: watcher ID already in use"). Explicit IDs do not move
///   the counter: the counter merely skips them while they are in use.
///
///     var ids = WatchIDSpace()          // automatic IDs from 1, as kvserver numbers them
///     try ids.claim(0)                  // 1
///     try ids.claim(7)                  // 7
///     try ids.claim(0)                  // 2
///     try ids.claim(7)                  // throws .watchIDInUse(id: 7)
///     ids.release(7)
///     try ids.claim(7)                  // 7 again
///
/// No arithmetic here can overflow, whatever IDs a client asks for (`Int64.max` included).
///
/// - Complexity: `claim` and `release` are O(1) expected; an automatic claim skips at most as many IDs
///   as are in use.
public struct WatchIDSpace: Sendable {
    /// Where the automatic counter starts, and where it starts again after `Int64.max`.
    public let firstAutomaticID: Int64
    private var next: Int64
    private var inUse: Set<Int64> = []

    /// - Parameter firstAutomaticID: the first automatic ID: 1 (kvserver's numbering, the default) or 0
    ///   (etcd's gRPC numbering); negative values are taken as 0.
    public init(firstAutomaticID: Int64 = 1) {
        self.firstAutomaticID = max(0, firstAutomaticID)
        next = self.firstAutomaticID
    }

    /// A space whose counter is already at `next` (for tests of the wrap-around).
    init(firstAutomaticID: Int64, next: Int64) {
        self.init(firstAutomaticID: firstAutomaticID)
        self.next = max(self.firstAutomaticID, next)
    }

    /// How many IDs are in use.
    public var count: Int { inUse.count }

    /// Whether `id` is in use on this stream.
    public func contains(_ id: Int64) -> Bool { inUse.contains(id) }

    /// Takes `requested` (> 0) or, for a request ≤ 0, the next automatic ID, and marks it in use.
    /// - Throws: `.watchIDInUse(id: requested)` when an explicit ID is already in use on this stream.
    public mutating func claim(_ requested: Int64) throws(StoreError) -> Int64 {
        if requested > 0 {
            guard inUse.insert(requested).inserted else { throw .watchIDInUse(id: requested) }
            return requested
        }
        // Fewer IDs are in use than the counter's range holds, so this ends.
        while inUse.contains(next) { advance() }
        let id = next
        advance()
        inUse.insert(id)
        return id
    }

    /// Frees `id` (a watch ended); unknown IDs are ignored.
    public mutating func release(_ id: Int64) {
        inUse.remove(id)
    }

    /// Frees every ID and restarts the counter (the stream is closing).
    public mutating func removeAll() {
        inUse.removeAll()
        next = firstAutomaticID
    }

    private mutating func advance() {
        next = next == Int64.max ? firstAutomaticID : next + 1
    }
}
