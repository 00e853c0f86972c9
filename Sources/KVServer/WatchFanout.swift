import KVPosix
import KVProtocol
import KVStore
import Synchronization

/// Where a watch stream's responses go: a line-protocol connection (as `EVENT` lines) or a gRPC Watch
/// stream (as `WatchResponse` messages). Loop thread only.
protocol WatchSink: AnyObject {
    /// Whether responses may be written now (e.g. no reply half-written, the stream still open).
    var acceptsEvents: Bool { get }
    /// Output written and not yet sent, counted against the fanout's limit.
    var pendingWatchBytes: Int { get }
    /// Writes one ready response of the watch `tag` was created with (events, progress, a cancel).
    func writeWatchResponse(_ response: WatchResponse, tag: RequestTag?)
    /// Called after a batch of responses was written (queue a flush).
    func watchResponsesWritten()
    /// Whether consecutive event-only responses of one watch may be sent as one (etcd's gRPC clients
    /// take a response of many revisions; the line protocol keeps one `EVENT` line per revision).
    var coalescesEvents: Bool { get }
}

extension WatchSink {
    var coalescesEvents: Bool { false }
}

/// The watches of one watch stream (a line-protocol connection, a gRPC Watch stream): creates them, moves
/// their ready responses into the stream's `WatchSink`, and stops taking responses while the sink's
/// output is over its limit (the store's watchers then fall behind and later catch up from history by
/// themselves, so a slow reader costs the server no memory beyond its output limit).
///
/// The stream owns the watch IDs its client sees (`WatchIDSpace`, as etcd gives each stream its own):
/// automatic IDs count from 1 on every stream, and an explicit watch ID is refused only when it is in
/// use on this stream. The store's watchers are identified by internal IDs of the store's own; what one
/// client does with its IDs cannot reach another stream.
///
/// Loop thread only, except `ReadySignal`, which the store calls from writers' threads.
final class WatchFanout {
    private struct Entry {
        let watcher: Watcher
        let tag: RequestTag?
    }

    /// Called by the store (under its lock) when a watcher has something ready: schedules one pump on
    /// the connection's loop, coalescing signals that arrive before it runs.
    final class ReadySignal: @unchecked Sendable {
        // @unchecked: `fanout` is written and read only on the loop thread (in `init` and inside the
        // task given to `execute`); other threads touch only the atomic and the loop.
        private let scheduled = Atomic<Bool>(false)
        private let loop: EventLoop
        weak var fanout: WatchFanout?

        init(loop: EventLoop) { self.loop = loop }

        func fire() {
            guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
            loop.execute { [self] in
                scheduled.store(false, ordering: .releasing)
                fanout?.pump()
            }
        }
    }

    /// By the client-visible watch ID.
    private var entries: [Int64: Entry] = [:]
    /// Client-visible watch IDs in creation order, so pumping is fair and deterministic.
    private var order: [Int64] = []
    /// The client-visible watch IDs of this connection.
    private var ids: WatchIDSpace
    private let store: Store
    private let signal: ReadySignal
    private let outputLimit: Int
    /// Encoded size of one event in the last poll, for sizing the next (nil: none seen yet, so the first
    /// poll takes `minEventsPerPoll`).
    private var bytesPerEvent: Int?
    /// Where responses go; set by the owner of the stream.
    unowned(unsafe) var sink: (any WatchSink)!

    /// Responses taken per `poll`.
    static let maxEventsPerPoll = 1000
    /// Responses taken per `poll` at least: the overshoot past the output limit is at most this many
    /// events (a smaller catch-up slice can come back empty while the watcher is still behind).
    static let minEventsPerPoll = 64

    /// - Parameter firstWatchID: the first automatic watch ID: 1 on the line protocol, 0 on etcd's gRPC
    ///   Watch streams (as etcd numbers them).
    init(store: Store, loop: EventLoop, outputLimit: Int, firstWatchID: Int64 = 1) {
        self.store = store
        ids = WatchIDSpace(firstAutomaticID: firstWatchID)
        self.signal = ReadySignal(loop: loop)
        self.outputLimit = outputLimit
        signal.fanout = self
    }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    /// A watch just created: its client-visible ID, the `created` response to answer with, and the
    /// responses already ready after it (hand them to `deliver` once `created` is written).
    struct Created {
        var id: Int64
        var created: WatchResponse
        var ready: [WatchResponse]
    }

    /// Starts a watcher.
    /// - Throws: `.watchIDInUse` when `request.watchID` names a live watch of this stream; `.emptyKey`.
    func create(_ request: WatchRequest, tag: RequestTag?) throws(StoreError) -> Created {
        if request.key.isEmpty { throw .emptyKey }
        let id = try ids.claim(request.watchID)
        var labeled = request
        labeled.watchID = id
        let signal = self.signal
        let watcher: Watcher
        do {
            watcher = try store.watch(labeled) { signal.fire() }
        } catch {
            ids.release(id)
            throw error
        }
        entries[id] = Entry(watcher: watcher, tag: tag)
        order.append(id)
        var responses = watcher.poll(maxEvents: WatchFanout.maxEventsPerPoll)
        var created = WatchResponse(header: currentHeader(), watchID: id, created: true)
        if let first = responses.first, first.created {
            created = first
            created.watchID = id
            created.events = []
            if first.events.isEmpty { responses.removeFirst() } else { responses[0].created = false }
        }
        return Created(id: id, created: created, ready: responses)
    }

    /// Writes responses of the watch `id` to the sink (the ones `create` returned as ready).
    func deliver(_ responses: [WatchResponse], for id: Int64) {
        write(responses, for: id)
        sink.watchResponsesWritten()
    }

    /// Cancels one of this stream's watches.
    /// - Returns: the canceled watch's tag and its `canceled` response; nil when no such watch is live.
    func cancel(_ id: Int64) -> (tag: RequestTag?, response: WatchResponse)? {
        guard let entry = remove(id) else { return nil }
        entry.watcher.cancel()
        return (entry.tag, WatchResponse(header: currentHeader(), watchID: id, canceled: true))
    }

    /// The header of a response sent now.
    var header: ResponseHeader { currentHeader() }

    /// `PROGRESS`: asks every watcher of the connection for a progress notification.
    func requestProgress() {
        for id in order { entries[id]?.watcher.requestProgress() }
    }

    /// Moves ready responses into the connection's output until every watcher is drained or the output
    /// is over its limit (then the connection calls `pump` again once it has drained).
    func pump() {
        guard let sink, sink.acceptsEvents, !entries.isEmpty else { return }
        var wrote = false
        for id in order {
            while sink.acceptsEvents, sink.pendingWatchBytes < outputLimit, let entry = entries[id] {
                // Take only about as many events as fit under the limit, judging by the size of
                // the events seen so far, so one poll cannot overshoot the limit by much.
                let before = sink.pendingWatchBytes
                let room = bytesPerEvent.map { (outputLimit - before) / max(1, $0) } ?? 0
                let responses = entry.watcher.poll(maxEvents: min(WatchFanout.maxEventsPerPoll, max(WatchFanout.minEventsPerPoll, room)))
                if responses.isEmpty { break }
                write(responses, for: id)
                wrote = true
                let events = responses.reduce(0) { $0 + $1.events.count }
                if events > 0 { bytesPerEvent = max(16, (sink.pendingWatchBytes - before) / events) }
            }
            if sink.pendingWatchBytes >= outputLimit { break }
        }
        if wrote { sink.watchResponsesWritten() }
    }

    /// Cancels every watcher (the connection is closing).
    func cancelAll() {
        for id in order { entries[id]?.watcher.cancel() }
        entries.removeAll()
        order.removeAll()
        ids.removeAll()
    }

    /// Bytes of events (keys and values) one coalesced response holds at most.
    static let coalescedEventBytes = 256 * 1024

    private func write(_ responses: [WatchResponse], for id: Int64) {
        guard let tag = entries[id].map({ $0.tag }) else { return }
        // Consecutive responses that only carry events become one, when the sink allows it (etcd sends a
        // watcher that is behind its events in batches too), up to `coalescedEventBytes`.
        let coalesces = sink.coalescesEvents
        var batch: WatchResponse?
        var batchBytes = 0
        for response in responses {
            if response.created && response.events.isEmpty { continue }
            var line = response
            line.created = false
            // The store labels a watch created with ID 0 by its internal ID; the client knows it by `id`.
            line.watchID = id
            if coalesces && !line.canceled && line.compactRevision == 0 && !line.events.isEmpty {
                let bytes = line.events.reduce(0) { $0 + $1.kv.key.count + $1.kv.value.count + 64 }
                if var pending = batch, batchBytes + bytes <= WatchFanout.coalescedEventBytes {
                    pending.events += line.events
                    pending.header = line.header
                    batch = pending
                    batchBytes += bytes
                } else {
                    if let pending = batch { sink.writeWatchResponse(pending, tag: tag) }
                    batch = line
                    batchBytes = bytes
                }
                continue
            }
            if let pending = batch {
                sink.writeWatchResponse(pending, tag: tag)
                batch = nil
            }
            sink.writeWatchResponse(line, tag: tag)
            if response.canceled {
                _ = remove(id)
                return
            }
        }
        if let pending = batch { sink.writeWatchResponse(pending, tag: tag) }
    }

    private func remove(_ id: Int64) -> Entry? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        ids.release(id)
        return entry
    }

    private func currentHeader() -> ResponseHeader {
        ResponseHeader(clusterID: store.configuration.clusterID, memberID: store.configuration.memberID,
                       revision: store.revision, raftTerm: store.configuration.raftTerm)
    }
}
