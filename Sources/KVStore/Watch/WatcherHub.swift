/// Every watcher of a store, and the indexes that find the synced ones a write touches: single-key
/// watchers through a hash map, range watchers through an interval index. A write costs
/// O(changes × (1 + log W) + matches) — it never scans every watcher.
struct WatcherHub {
    /// Events a watcher may have buffered before it is unsynced and catches up from history later.
    var maximumBufferedEvents = 1024

    private(set) var watchers: [Int64: WatcherCore] = [:]
    /// Single-key watchers by a hash of their key (computed over the record's bytes, so a write needs
    /// no key array to look them up); a hash match is confirmed against the watcher's own key.
    private var keyWatchers: [UInt64: [Int64]] = [:]
    private var rangeWatchers = IntervalIndex<Int64>()
    private var rangeIDs: [Int64: IntervalID] = [:]
    /// The next internal ID to try (see `makeID`).
    var nextID: Int64 = 1

    var isEmpty: Bool { watchers.isEmpty }
    var syncedCount: Int { rangeIDs.count + keyWatchers.values.reduce(0) { $0 + $1.count } }

    /// A fresh internal ID for a new watcher. Internal IDs identify watchers inside the store only: no
    /// client chooses them (the IDs clients see belong to their stream, see `WatchIDSpace`). They count
    /// up from 1, skip IDs still in use, and wrap back to 1 after `Int64.max` instead of overflowing.
    mutating func makeID() -> Int64 {
        while watchers[nextID] != nil { advanceNextID() }
        let id = nextID
        advanceNextID()
        return id
    }

    private mutating func advanceNextID() {
        nextID = nextID == Int64.max ? 1 : nextID + 1
    }

    subscript(id: Int64) -> WatcherCore? {
        get { watchers[id] }
        _modify { yield &watchers[id] }
    }

    mutating func add(_ core: WatcherCore) {
        watchers[core.id] = core
        if core.synced { register(core.id) }
    }

    @discardableResult
    mutating func remove(_ id: Int64) -> WatcherCore? {
        guard let core = watchers.removeValue(forKey: id) else { return nil }
        if core.synced { unregister(id, range: core.range) }
        return core
    }

    /// Puts a watcher in the live-change indexes.
    mutating func register(_ id: Int64) {
        guard let core = watchers[id] else { return }
        watchers[id]!.synced = true
        switch core.range {
        case .single(let key): keyWatchers[Self.hash(key), default: []].append(id)
        default: rangeIDs[id] = rangeWatchers.insert(core.range, value: id)
        }
    }

    /// Takes a watcher out of the live-change indexes (it keeps its buffer).
    mutating func unsync(_ id: Int64, from revision: Int64) {
        guard let core = watchers[id], core.synced else { return }
        unregister(id, range: core.range)
        watchers[id]!.synced = false
        watchers[id]!.nearlyCaughtUp = false
        watchers[id]!.nextRevision = revision
    }

    private mutating func unregister(_ id: Int64, range: KeyRange) {
        switch range {
        case .single(let key):
            let hash = Self.hash(key)
            keyWatchers[hash]?.removeAll { $0 == id }
            if keyWatchers[hash]?.isEmpty == true { keyWatchers[hash] = nil }
        default:
            if let intervalID = rangeIDs.removeValue(forKey: id) { _ = rangeWatchers.remove(intervalID) }
        }
    }

    /// Hands the changes of revision `revision` to every synced watcher they touch.
    mutating func notify(_ changes: [Change], revision: Int64) {
        guard !keyWatchers.isEmpty || !rangeIDs.isEmpty else { return }
        if changes.count == 1 {
            // The common case: one change, shared (not copied) by every watcher it matches.
            for id in matches(changes[0].record) { deliver(changes, to: id, revision: revision, shared: true) }
            return
        }
        var perWatcher: [Int64: [Change]] = [:]
        var order: [Int64] = []
        for change in changes {
            for id in matches(change.record) {
                if perWatcher[id] == nil { order.append(id) }
                perWatcher[id, default: []].append(change)
            }
        }
        for id in order { deliver(perWatcher[id]!, to: id, revision: revision, shared: false) }
    }

    /// The synced watchers whose range holds the record's key.
    private func matches(_ record: KVRecord) -> [Int64] {
        record.withKeyBytes { key in
            var ids: [Int64] = []
            if !keyWatchers.isEmpty, let candidates = keyWatchers[Self.hash(key)] {
                for id in candidates {
                    if case .single(let watched)? = watchers[id]?.range,
                       watched.withUnsafeBytes({ KeyBytes.compare($0, key) == 0 }) {
                        ids.append(id)
                    }
                }
            }
            if !rangeIDs.isEmpty { rangeWatchers.forEachContaining(key: key) { ids.append($0) } }
            return ids
        }
    }

    /// FNV-1a over the key bytes.
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

    private mutating func deliver(_ changes: [Change], to id: Int64, revision: Int64, shared: Bool) {
        guard let core = watchers[id] else { return }
        let accepted = changes.allSatisfy(core.accepts) ? changes : changes.filter(core.accepts)
        guard !accepted.isEmpty else { return }
        if core.bufferedEvents + accepted.count > maximumBufferedEvents, core.bufferedEvents > 0 {
            unsync(id, from: revision)
            return
        }
        watchers[id]!.enqueue(.events(revision: revision, changes: accepted))
    }

    /// Queues a progress notification on every idle synced watcher that asked for them.
    mutating func progressNotify(revision: Int64) {
        for (id, core) in watchers where core.progressNotify && core.synced && core.buffer.isEmpty {
            watchers[id]!.enqueue(.progress(revision: revision))
        }
    }
}
