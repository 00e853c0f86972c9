import KVSync

/// A revisioned, in-memory key-value store with etcd v3 semantics.
///
/// Every method may be called from any thread. Writes are serialized under one lock and each applies
/// atomically at one revision; a read sees exactly the state at one revision. Reads of more than one
/// key copy an O(1) copy-on-write view under the lock and do their work outside it, so a long scan
/// never holds writers off.
///
///     let store = Store()
///     try store.put("greeting", "hello")            // revision 2
///     let kv = try store.get("greeting")             // value "hello", version 1
///     try store.delete("greeting")                   // revision 3
///     let old = try store.range(RangeRequest(key: Array("greeting".utf8), revision: 2))
public final class Store: Sendable {
    public let configuration: StoreConfiguration
    /// Users, roles and tokens. Auth changes never advance the key-value revision; the store's
    /// `authorize…` methods check a request against it (see `Store+Auth`).
    public let auth: AuthStore
    let state: Locked<StoreState>
    /// Serializes compactions, which run in slices between writes.
    private let compactionLock = Locked(())
    /// The built-in lease expiry, while it runs (`startLeaseExpiry`).
    let leaseExpiry = Locked<LeaseExpiry?>(nil)

    /// Work per compaction lock hold: keys visited plus records of their histories.
    static let compactionSlice = 10_000

    public init(configuration: StoreConfiguration = StoreConfiguration()) {
        self.configuration = configuration
        auth = AuthStore(clock: configuration.clock, tokenTTL: configuration.authTokenTTL,
                         iterations: configuration.passwordHashIterations)
        state = Locked(StoreState(nodeCapacity: configuration.treeNodeCapacity))
    }

    deinit { leaseExpiry.withLock { $0?.stop() } }

    // MARK: Introspection

    /// The current store revision (1 for a fresh store).
    public var revision: Int64 { state.withLock { $0.currentRevision } }

    /// The revision of the last compaction (0 when never compacted).
    public var compactedRevision: Int64 { state.withLock { $0.compactedRevision } }

    /// How many keys exist at the current revision.
    public var keyCount: Int {
        let view = readView()
        var count = 0
        view.forEachVisible(in: .fromKey([0]), at: view.currentRevision) { _ in count += 1; return true }
        return count
    }

    /// Approximate bytes the store holds: every retained version (header, key and value of each) and
    /// every lease (a fixed cost each, plus its attached keys: `LeaseTable`), so a quota on it counts
    /// leases too.
    public var sizeInBytes: Int { state.withLock { $0.size } }

    /// Whether the NOSPACE alarm is raised (a write was refused for the quota and the store has not yet
    /// been brought back under it; see `clearNoSpaceAlarmIfUnderQuota`).
    public var isNoSpaceAlarmed: Bool { state.withLock { $0.noSpaceAlarm } }

    /// Lowers the NOSPACE alarm once the store is back under its quota (after deletes and a compaction).
    /// - Returns: true when this call lowered it.
    @discardableResult
    public func clearNoSpaceAlarmIfUnderQuota() -> Bool {
        let quota = configuration.quotaBytes
        return state.withLock { state in
            guard state.noSpaceAlarm, state.size < quota else { return false }
            state.noSpaceAlarm = false
            return true
        }
    }

    /// Raises the NOSPACE alarm whatever the store's size (kvserver does when its write-ahead log cannot
    /// write): writes that add bytes are refused until `clearNoSpaceAlarmIfUnderQuota`.
    public func raiseNoSpaceAlarm() {
        state.withLock { $0.noSpaceAlarm = true }
    }

    /// What granting one lease adds to `sizeInBytes` (before keys are attached to it).
    public static var bytesPerLease: Int { LeaseTable.bytesPerLease }

    func header(_ revision: Int64) -> ResponseHeader {
        ResponseHeader(clusterID: configuration.clusterID, memberID: configuration.memberID,
                       revision: revision, raftTerm: configuration.raftTerm)
    }

    // MARK: Reads

    /// Reads one key or a range of keys, at the current revision or an older one.
    /// - Throws: `.emptyKey`; `.futureRevision` / `.compacted` for a revision outside the retained history.
    /// - Complexity: O(log n + m) for m keys in the range (all of them are counted, even with a limit).
    public func range(_ request: RangeRequest) throws(StoreError) -> RangeResponse {
        let view: ReadView
        if request.rangeEnd.isEmpty {
            // A single key: read under the lock, cheaper than taking a view.
            let result: Result<RangeResponse, StoreError> = state.withLock { state in
                state.counters.ranges &+= 1
                return Result { () throws(StoreError) in try self.rangeResponse(request, in: state.view) }
            }
            return try result.get()
        }
        view = rangeView()
        return try rangeResponse(request, in: view)
    }

    /// A consistent view of the current state, taken in O(1) under the lock; reading it afterwards
    /// holds no lock and never blocks writers.
    func readView() -> ReadView {
        state.withLock { $0.view }
    }

    /// `readView()` for a range read, counted in the statistics.
    func rangeView() -> ReadView {
        state.withLock { state in
            state.counters.ranges &+= 1
            return state.view
        }
    }

    private func rangeResponse(_ request: RangeRequest, in view: ReadView) throws(StoreError) -> RangeResponse {
        let (kvs, more, count) = try view.range(request)
        return RangeResponse(header: header(view.currentRevision), kvs: kvs, more: more, count: count)
    }

    // MARK: Writes

    /// Writes one key, advancing the revision by one.
    /// - Throws: `.emptyKey`, `.valueProvided`, `.leaseProvided`, `.leaseNotFound`, `.keyNotFound`
    ///   (with `ignoreValue`/`ignoreLease` on a missing key).
    public func put(_ request: PutRequest) throws(StoreError) -> PutResponse {
        try TxnChecks.checkPut(request)
        let quota = configuration.quotaBytes
        let result: Result<PutResponse, StoreError> = state.withLock { state in
            Result { () throws(StoreError) in
                try state.admit(cost: KVRecord.cost(of: request), quota: quota)
                try state.checkApplicable(request)
                var batch = WriteBatch(main: state.currentRevision + 1)
                let previous = state.applyPut(request, in: &batch)
                self.commit(&state, batch)
                return PutResponse(header: self.header(batch.main),
                                   prevKV: request.prevKV ? previous?.keyValue() : nil)
            }
        }
        return try result.get()
    }

    /// Deletes one key or a range of keys. The revision advances only when something was deleted.
    /// - Throws: `.emptyKey`.
    public func deleteRange(_ request: DeleteRangeRequest) throws(StoreError) -> DeleteRangeResponse {
        if request.key.isEmpty { throw .emptyKey }
        let range = KeyRange(key: request.key, rangeEnd: request.rangeEnd)
        return state.withLock { state in
            var batch = WriteBatch(main: state.currentRevision + 1)
            let deleted = state.applyDelete(range, in: &batch)
            self.commit(&state, batch)
            return DeleteRangeResponse(header: self.header(state.currentRevision), deleted: Int64(deleted.count),
                                       prevKVs: request.prevKV ? deleted.map { $0.keyValue() } : [])
        }
    }

    /// Runs a transaction atomically: compares (and those of nested transactions on the taken path)
    /// are evaluated against the state before it, then the chosen branch runs at one new revision
    /// (none when it writes nothing). Either every operation applies or none does.
    /// - Throws: `.tooManyOperations`, `.emptyKey`, `.duplicateKey`, and the errors of its operations.
    public func txn(_ request: TxnRequest) throws(StoreError) -> TxnResponse {
        try txn(request, deferringReads: false).resolved()
    }

    /// Runs a transaction like `txn(_:)`, leaving its range reads to be produced later, in steps, from
    /// views of the state each read saw (see `DeferredTxnResponse`): nothing is read under the lock.
    public func txnDeferringReads(_ request: TxnRequest) throws(StoreError) -> DeferredTxnResponse {
        try txn(request, deferringReads: true)
    }

    private func txn(_ request: TxnRequest, deferringReads: Bool) throws(StoreError) -> DeferredTxnResponse {
        try TxnChecks.check(request, maxOps: configuration.maxTxnOps)
        let cost = TxnChecks.writeCost(request)
        let quota = configuration.quotaBytes
        let result: Result<DeferredTxnResponse, StoreError> = state.withLock { state in
            Result { () throws(StoreError) in
                // A transaction that may put is admitted as if both branches did (etcd checks the quota
                // before deciding the branch); one that only reads or deletes always passes.
                try state.admit(cost: cost, quota: quota)
                state.counters.txns &+= 1
                // The path is decided on a view that is released before anything is written: a view
                // still alive during the writes would make each of them copy its path in the tree.
                let path = TxnPath(request, view: state.view)
                try path.checkApplicable(request, state: state)
                var batch = WriteBatch(main: state.currentRevision + 1)
                let response = self.apply(request, path: path, to: &state, batch: &batch, deferringReads: deferringReads)
                self.commit(&state, batch)
                return response
            }
        }
        return try result.get()
    }

    /// Makes a batch's changes current: advances the revision when it wrote anything and hands its
    /// changes to the watchers. Every write goes through here, under the lock.
    func commit(_ state: inout StoreState, _ batch: WriteBatch) {
        guard batch.hasChanges else { return }
        state.currentRevision = batch.main
        state.journalChanges(batch)
        state.changeLog.append(batch.changes)
        state.watchers.notify(batch.changes, revision: batch.main)
    }

    /// Applies the taken branch. A read becomes a cursor over the index as it stands at that op (an O(1)
    /// view); unless `deferringReads`, it is collected at once, so that the view is gone before later writes.
    private func apply(_ txn: TxnRequest, path: TxnPath, to state: inout StoreState, batch: inout WriteBatch,
                       deferringReads: Bool) -> DeferredTxnResponse {
        let ops = path.succeeded ? txn.success : txn.failure
        var responses: [DeferredResponseOp] = []
        responses.reserveCapacity(ops.count)
        var nested = path.nested.makeIterator()
        for op in ops {
            switch op {
            case .range(let r):
                state.counters.ranges &+= 1
                let readRevision = state.readRevision(during: batch)
                var request = r
                if request.revision <= 0 { request.revision = readRevision }
                let view = ReadView(index: state.index, currentRevision: readRevision, compactedRevision: state.compactedRevision)
                // The read revision was checked before anything was applied; making the cursor cannot fail.
                guard let cursor = try? RangeCursor(view: view, request: request) else {
                    preconditionFailure("a transaction read failed after its checks passed")
                }
                if !deferringReads { cursor.resolve() }
                responses.append(.range(cursor))
            case .put(let p):
                let previous = state.applyPut(p, in: &batch)
                responses.append(.put(PutResponse(header: ResponseHeader(revision: batch.main),
                                                  prevKV: p.prevKV ? previous?.keyValue() : nil)))
            case .deleteRange(let d):
                let deleted = state.applyDelete(KeyRange(key: d.key, rangeEnd: d.rangeEnd), in: &batch)
                responses.append(.deleteRange(DeleteRangeResponse(
                    header: ResponseHeader(revision: state.readRevision(during: batch)),
                    deleted: Int64(deleted.count), prevKVs: d.prevKV ? deleted.map { $0.keyValue() } : [])))
            case .txn(let t):
                var inner = apply(t, path: nested.next()!, to: &state, batch: &batch, deferringReads: deferringReads)
                inner.header = ResponseHeader(revision: state.readRevision(during: batch))
                responses.append(.txn(inner))
            }
        }
        return DeferredTxnResponse(header: header(state.readRevision(during: batch)), succeeded: path.succeeded,
                                   responses: responses)
    }

    // MARK: Compaction

    /// Discards the history superseded before `revision`, freeing its memory. Reads below it fail with
    /// `.compacted` from the moment this is called; the memory is released in slices of
    /// `compactionSlice` keys, so writers wait at most one slice.
    /// - Throws: `.futureRevision` above the current revision, `.compacted` at or below the last compaction.
    public func compact(_ request: CompactionRequest) throws(StoreError) -> CompactionResponse {
        let result: Result<CompactionResponse, StoreError> = compactionLock.withLock { _ in
            let started: Result<Int64, StoreError> = state.withLock { state in
                if request.revision > state.currentRevision {
                    return .failure(.futureRevision(requested: request.revision, currentRevision: state.currentRevision))
                }
                if request.revision <= state.compactedRevision {
                    return .failure(.compacted(requested: request.revision, compactedRevision: state.compactedRevision))
                }
                state.compactedRevision = request.revision
                state.journalCompaction(at: request.revision)
                return .success(state.currentRevision)
            }
            guard case .success(let current) = started else { return started.map { _ in CompactionResponse(header: header(0)) } }
            var cursor: [UInt8]? = nil
            repeat {
                let from = cursor
                cursor = state.withLock { $0.compactSlice(at: request.revision, from: from, limit: Self.compactionSlice) }
            } while cursor != nil
            // The dropped changes are released here, outside the lock, not while readers and writers wait.
            let dropped = state.withLock { $0.changeLog.compact(through: request.revision) }
            withExtendedLifetime(dropped) {}
            return .success(CompactionResponse(header: header(current)))
        }
        return try result.get()
    }
}
