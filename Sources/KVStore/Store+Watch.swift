/// Watches: streams of every change to a key or range, from any retained revision.
extension Store {
    /// Starts a watcher. `onReady` is called (from a writer's thread, while the store is locked: it
    /// must be quick and must not call into the store) whenever the watcher goes from having nothing
    /// ready to having something ready; the consumer then calls `Watcher.poll()` until it returns
    /// nothing. The first response is the `created` notice; a `startRevision` below the compacted
    /// revision is followed at once by a canceled response carrying `compactRevision`.
    ///
    /// **Watch IDs.** The store identifies the watcher by `Watcher.id`, an internal ID no client
    /// chooses. Every response carries `request.watchID` as its `watchID` — or, when that is 0, the
    /// watcher's `id`. The store does not check `request.watchID`: in etcd a watch ID belongs to the
    /// stream that created the watch, so whoever multiplexes watches on one stream keeps their IDs
    /// unique there (kvserver keeps a `WatchIDSpace` per connection and refuses a duplicate with
    /// `.watchIDInUse`). An embedder that wants etcd's rules for its own streams can do the same.
    /// - Throws: `.emptyKey`.
    public func watch(_ request: WatchRequest, onReady: @escaping @Sendable () -> Void) throws(StoreError) -> Watcher {
        if request.key.isEmpty { throw .emptyKey }
        let range = KeyRange(key: request.key, rangeEnd: request.rangeEnd)
        let id: Int64 = state.withLock { state in
            let id = state.watchers.makeID()
            let current = state.currentRevision
            let replays = request.startRevision > 0 && request.startRevision <= current
            var core = WatcherCore(id: id, range: range, prevKV: request.prevKV, noPut: request.noPut,
                                   noDelete: request.noDelete, progressNotify: request.progressNotify,
                                   minimumRevision: max(request.startRevision, 0), onReady: onReady,
                                   synced: !replays, nextRevision: replays ? request.startRevision : current + 1)
            core.enqueue(.created(revision: current))
            if replays, request.startRevision < state.compactedRevision {
                // etcd's compaction cancel carries no revision in its header (mvcc sends only the
                // compact revision).
                core.enqueue(.canceled(revision: 0, compactRevision: state.compactedRevision,
                                       reason: StoreError.compacted(requested: request.startRevision,
                                                                    compactedRevision: state.compactedRevision).description))
                core.finishing = true
                core.synced = false
            }
            state.watchers.add(core)
            return id
        }
        return Watcher(id: id, watchID: request.watchID == 0 ? id : request.watchID, store: self)
    }

    /// Cancels the watcher whose internal ID (`Watcher.id`) this is; unknown IDs are ignored.
    public func cancelWatch(_ id: Int64) {
        state.withLock { _ = $0.watchers.remove(id) }
    }

    /// Sends a progress notification to every caught-up, idle watcher that asked for them (the
    /// server calls this periodically).
    public func progressNotify() {
        state.withLock { state in state.watchers.progressNotify(revision: state.currentRevision) }
    }

    /// How many watchers exist, and how many are receiving live changes (the rest are catching up).
    public var watcherCounts: (total: Int, synced: Int) {
        state.withLock { ($0.watchers.watchers.count, $0.watchers.syncedCount) }
    }

    func requestProgress(_ watcher: Watcher) {
        state.withLock { state in
            guard let core = state.watchers[watcher.id], core.synced, core.buffer.isEmpty else { return }
            state.watchers[watcher.id]!.enqueue(.progress(revision: state.currentRevision))
        }
    }

    func isFinished(_ watcher: Watcher) -> Bool {
        state.withLock { $0.watchers[watcher.id] == nil }
    }

    /// Takes a watcher's ready responses; when its buffer is empty and it had fallen behind, reads the
    /// missed changes from history (outside the lock while they are many), and registers it for live
    /// changes again once it has caught up — with no gap, because the last stretch is read under the lock.
    func poll(_ watcher: Watcher, maxEvents: Int) -> [WatchResponse] {
        let limit = max(1, maxEvents)
        var attempts = 0
        while true {
            attempts += 1
            enum Step { case taken([PendingResponse], Bool), nothing, scan(ReadView, Int64, KeyRange) }
            let step: Step = state.withLock { state in
                guard var core = state.watchers[watcher.id] else { return .nothing }
                if !core.buffer.isEmpty {
                    var taken: [PendingResponse] = []
                    var events = 0
                    while let first = core.buffer.first, taken.isEmpty || events + first.eventCount <= limit {
                        taken.append(first)
                        events += first.eventCount
                        core.buffer.removeFirst()
                    }
                    core.bufferedEvents -= events
                    let finished = core.finishing && core.buffer.isEmpty
                    if finished {
                        state.watchers.remove(watcher.id)
                    } else {
                        state.watchers[watcher.id] = core
                    }
                    return .taken(taken, core.prevKV)
                }
                if core.synced {
                    state.watchers[watcher.id]!.signaled = false
                    return .nothing
                }
                if core.nextRevision < state.compactedRevision {
                    let reason = StoreError.compacted(requested: core.nextRevision, compactedRevision: state.compactedRevision).description
                    state.watchers.remove(watcher.id)
                    return .taken([.canceled(revision: 0, compactRevision: state.compactedRevision,
                                             reason: reason)], core.prevKV)
                }
                // Behind. A small or final stretch is read here, under the lock, so no write slips between
                // the read and the registration; a long one first outside it.
                let view = state.viewWithChanges
                if attempts > 1 || core.nearlyCaughtUp || core.range.isSingleKey {
                    // Read on until something passes the watcher's filters or it has caught up: returning
                    // nothing while still behind would leave it waiting for a wake-up that never comes.
                    var accepted: [Change] = []
                    var from = core.nextRevision
                    while true {
                        let (changes, covered, _) = HistoryScan.changes(in: core.range, from: from, to: view.currentRevision,
                                                                     limit: limit, view: view)
                        accepted = changes.filter(core.accepts)
                        if covered == view.currentRevision {
                            state.watchers.register(watcher.id)
                            break
                        }
                        from = covered + 1
                        state.watchers[watcher.id]!.nextRevision = from
                        if !accepted.isEmpty { break }
                    }
                    if accepted.isEmpty {
                        state.watchers[watcher.id]!.signaled = false
                        return .nothing
                    }
                    state.watchers[watcher.id]!.signaled = true
                    return .taken([.events(revision: view.currentRevision, changes: accepted)], core.prevKV)
                }
                return .scan(view, core.nextRevision, core.range)
            }
            switch step {
            case .nothing:
                return []
            case .taken(let pending, let prevKV):
                return pending.map { makeResponse($0, watchID: watcher.watchID, prevKV: prevKV) }
            case .scan(let view, let from, let range):
                let (changes, covered, _) = HistoryScan.changes(in: range, from: from, to: view.currentRevision, limit: limit, view: view)
                let outcome: (advanced: Bool, prevKV: Bool, accepted: [Change]) = state.withLock { state in
                    guard let core = state.watchers[watcher.id], !core.synced, core.nextRevision == from else {
                        return (false, false, [])
                    }
                    state.watchers[watcher.id]!.nextRevision = covered + 1
                    state.watchers[watcher.id]!.nearlyCaughtUp = covered == view.currentRevision
                    let accepted = changes.filter(core.accepts)
                    if !accepted.isEmpty { state.watchers[watcher.id]!.signaled = true }
                    return (true, core.prevKV, accepted)
                }
                if outcome.advanced, !outcome.accepted.isEmpty {
                    return [makeResponse(.events(revision: view.currentRevision, changes: outcome.accepted),
                                         watchID: watcher.watchID, prevKV: outcome.prevKV)]
                }
                // Nothing in that stretch: finish under the lock on the next turn.
            }
        }
    }

    private func makeResponse(_ pending: PendingResponse, watchID: Int64, prevKV: Bool) -> WatchResponse {
        switch pending {
        case .created(let revision):
            return WatchResponse(header: header(revision), watchID: watchID, created: true)
        case .progress(let revision):
            return WatchResponse(header: header(revision), watchID: watchID)
        case .canceled(let revision, let compactRevision, let reason):
            return WatchResponse(header: header(revision), watchID: watchID, canceled: true,
                                 compactRevision: compactRevision, cancelReason: reason)
        case .events(let revision, let changes):
            let events = changes.map { change -> Event in
                let record = change.record
                let kv = record.isTombstone
                    ? KeyValue(key: record.key, value: [], createRevision: 0, modRevision: record.modMain, version: 0)
                    : record.keyValue()
                return Event(type: record.isTombstone ? .delete : .put, kv: kv,
                             prevKV: prevKV ? change.previous?.keyValue() : nil)
            }
            return WatchResponse(header: header(revision), watchID: watchID, events: events)
        }
    }
}

extension KeyRange {
    var isSingleKey: Bool { if case .single = self { return true } else { return false } }
}
