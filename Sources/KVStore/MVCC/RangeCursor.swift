/// A range read whose result is produced in bounded steps, from a view taken when the read was made.
///
/// A server answering `GET "" --prefix` on a large store, or a transaction holding many such reads, must
/// not build the whole result before sending it, nor walk the whole range in one go while other clients
/// wait. A cursor holds an O(1) read view and the request; its result is the same as
/// `Store.range(_:)` would have returned at the moment it was made, whenever it is read.
///
/// Use it in two phases:
/// 1. `plan(maxKeys:)` until it returns true: walks the range once, counting (the reply's `count`, `more`
///    and number of key-values come before the key-values on every wire format);
/// 2. `emit(maxKeys:maxBytes:_:)` until it returns true: hands out the key-values in order.
///
/// Each call visits at most `maxKeys` index entries. Memory held: the view (which shares the store's
/// nodes and keeps the versions it sees alive), plus, for results that are not in ascending key order
/// (`sortTarget` other than the key, or `descend`), one reference (8 bytes) per matching key.
///
/// Not thread-safe: one consumer drives it. `collect()` returns the whole result at once.
public final class RangeCursor {
    /// The response header (the view's current revision, as etcd reports for reads; the store fills in the identity of a top-level read).
    public internal(set) var header: ResponseHeader
    private let request: RangeRequest
    private let revision: Int64
    private let limit: Int
    private let filtered: Bool
    /// Key order ascending: the result can be emitted by walking the index again.
    private let keyOrdered: Bool

    /// Keys matching at the read revision (before filters and limit). Final once planned.
    public private(set) var count: Int64 = 0
    /// Key-values the result holds. Final once planned.
    public private(set) var kvsCount = 0
    /// Whether the limit left some out. Final once planned.
    public private(set) var more = false
    public private(set) var isPlanned = false
    /// Index entries walked and key-values handed out so far: the work done, for callers that bound it.
    public private(set) var entriesVisited = 0

    /// Matches passing the filters, counted by the plan (key order).
    private var passing = 0
    /// The first key-ordered results, kept while planning so that a small result is walked once.
    private var early: [KVRecord] = []
    /// Sorted results (not key order), or none.
    private var sorted: [KVRecord] = []
    /// Where the current walk resumes: after this key (nil: from the start of the range).
    private var resumeAfter: [UInt8]?
    private var walkFinished = false
    private var emitted = 0

    /// Results kept during planning so that the emission needs no second walk.
    static let earlyResults = 128
    /// `earlyResults`, or fewer in tests that exercise the second walk.
    var earlyLimit = RangeCursor.earlyResults

    init(view: ReadView, request: RangeRequest) throws(StoreError) {
        if request.key.isEmpty { throw .emptyKey }
        revision = try view.readRevision(request.revision)
        self.view = view
        self.request = request
        header = ResponseHeader(revision: view.currentRevision)
        limit = request.limit > 0 ? Int(clamping: request.limit) : Int.max
        filtered = request.minModRevision != 0 || request.maxModRevision != 0
            || request.minCreateRevision != 0 || request.maxCreateRevision != 0
        keyOrdered = request.countOnly || request.sortTarget == .key && request.sortOrder != .descend
    }

    /// The whole result, once `resolve()` computed it; the view is released then.
    private var resolved: RangeResponse?
    private var view: ReadView?

    /// The whole result at once (the same as `Store.range`).
    public func collect() -> RangeResponse {
        resolve()
        var response = resolved!
        response.header = header
        return response
    }

    /// Computes the whole result now and releases the view (a transaction applied in process does this
    /// for each read before its later writes, so they need not copy the nodes the view shares).
    func resolve() {
        guard resolved == nil, let view else { return }
        // The revision was checked when the cursor was made; the read cannot fail.
        let (kvs, more, count) = (try? view.range(request)) ?? ([], false, 0)
        resolved = RangeResponse(header: header, kvs: kvs, more: more, count: count)
        self.view = nil
    }

    /// Walks at most `maxKeys` entries of the range; true once `count`, `more` and `kvsCount` are final.
    public func plan(maxKeys: Int) -> Bool {
        if isPlanned { return true }
        if let resolved {
            count = resolved.count
            kvsCount = resolved.kvs.count
            more = resolved.more
            isPlanned = true
            return true
        }
        // The walk's running figures live in locals (a class's stored properties would be checked for
        // exclusive access at every record) and are written back after each step.
        let countOnly = request.countOnly, filtered = self.filtered, keyOrdered = self.keyOrdered
        let keep = min(earlyLimit, limit)
        var count = self.count, passing = self.passing
        var early = self.early, sorted = self.sorted
        self.early = []
        self.sorted = []
        walk(maxKeys: maxKeys) { record in
            count += 1
            guard !countOnly, !filtered || ReadView.passes(request, record) else { return true }
            if keyOrdered {
                passing += 1
                if early.count < keep { early.append(record) }
            } else {
                sorted.append(record)
            }
            return true
        }
        self.count = count
        self.passing = passing
        self.early = early
        self.sorted = sorted
        guard walkFinished else { return false }
        if request.countOnly {
            kvsCount = 0
        } else if keyOrdered {
            kvsCount = min(self.passing, limit)
            more = self.passing > limit
        } else {
            ReadView.sort(&self.sorted, by: request.sortTarget, order: request.sortOrder)
            kvsCount = min(self.sorted.count, limit)
            more = self.sorted.count > limit
            self.sorted.removeSubrange(kvsCount...)
        }
        isPlanned = true
        resumeAfter = nil
        walkFinished = false
        return true
    }

    /// Hands out the next key-values, walking at most `maxKeys` entries, until `body` returns false (it
    /// has taken enough for now: the key-value it was given counts as taken); true once every key-value
    /// was handed out. Call after planning.
    public func emit(maxKeys: Int, _ body: (KeyValue) -> Bool) -> Bool {
        precondition(isPlanned, "RangeCursor.emit before the plan finished")
        let keysOnly = request.keysOnly, filtered = self.filtered, kvsCount = self.kvsCount
        // Locals, written back at the end (see `plan`).
        var emitted = self.emitted
        defer { self.emitted = emitted }
        func handFromArray(_ records: [KVRecord]) {
            var handed = 0
            while emitted < kvsCount && handed < maxKeys {
                handed += 1
                emitted += 1
                if !body(records[emitted - 1].keyValue(keysOnly: keysOnly)) { break }
            }
            entriesVisited += handed
        }
        if let resolved {
            var handed = 0
            while emitted < kvsCount && handed < maxKeys {
                handed += 1
                emitted += 1
                if !body(resolved.kvs[emitted - 1]) { break }
            }
            entriesVisited += handed
        } else if !keyOrdered {
            handFromArray(sorted)
            if emitted == kvsCount { sorted = [] }
        } else if kvsCount <= early.count {
            handFromArray(early)
            if emitted == kvsCount { early = [] }
        } else if emitted < kvsCount {
            early = []
            walk(maxKeys: maxKeys) { record in
                guard !filtered || ReadView.passes(request, record) else { return true }
                emitted += 1
                return body(record.keyValue(keysOnly: keysOnly)) && emitted < kvsCount
            }
        }
        return emitted >= kvsCount
    }

    /// Visits the visible records after `resumeAfter`, at most `maxKeys` index entries, until `body`
    /// returns false; records where the next walk resumes and whether the range was exhausted.
    private func walk(maxKeys: Int, _ body: (KVRecord) -> Bool) {
        guard !walkFinished, let view else { return }
        let range: KeyRange
        switch KeyRange(key: request.key, rangeEnd: request.rangeEnd) {
        case .single(let key):
            entriesVisited += 1
            if resumeAfter == nil, let record = view.record(key, at: revision) { _ = body(record) }
            walkFinished = true
            return
        case .fromKey(let start):
            range = .fromKey(resumeAfter.map { $0 + [0] } ?? start)
        case .halfOpen(let start, let end):
            range = .halfOpen(from: resumeAfter.map { $0 + [0] } ?? start, to: end)
        }
        let (visited, stoppedAt) = view.walk(range, at: revision, maxEntries: maxKeys, body)
        entriesVisited += visited
        if let stoppedAt {
            resumeAfter = stoppedAt.latest.key
        } else {
            walkFinished = true
        }
    }
}

extension Store {
    /// A range read to be produced in steps (see `RangeCursor`): validates the request and takes an O(1)
    /// view now; nothing is walked yet.
    /// - Throws: `.emptyKey`, `.futureRevision`, `.compacted`.
    public func rangeCursor(_ request: RangeRequest) throws(StoreError) -> RangeCursor {
        let cursor = try RangeCursor(view: rangeView(), request: request)
        cursor.header = header(cursor.header.revision)
        return cursor
    }
}

extension Store {
    /// Visits every key-value live at `revision` (0 or less: the current one) in key order, from one read
    /// view taken now: writers are never held off, and the walk is one pass however many keys there are.
    /// Meant for whole-store jobs (hashes, exports) run off any latency-sensitive thread.
    /// - Returns: the revision walked.
    /// - Throws: `.futureRevision`, `.compacted`.
    @discardableResult
    public func forEachKeyValue(at revision: Int64, _ body: (KeyValue) -> Void) throws(StoreError) -> Int64 {
        let view = readView()
        let at = try view.readRevision(revision)
        view.forEachVisibleRun(in: .fromKey([0]), at: at) { record in body(record.keyValue(keysOnly: false)) }
        return at
    }
}
