/// The store's journal: every applied change goes to an attached `StoreJournal`, and `replay` applies
/// the records read back from one (kvserver's write-ahead log, after a restart).
extension Store {
    /// Sends every change from now on to `journal`, under the store's lock and in apply order. Attach it
    /// once, after replaying what it already holds and before the store is shared.
    public func attachJournal(_ journal: any StoreJournal) {
        state.withLock { $0.journal = journal }
        auth.attachJournal(journal)
    }

    /// Applies one record from a journal, unless the store already holds its effect (a record older than
    /// the snapshot the store was loaded from). Replaying the records of a journal in order, from any
    /// point at or before where the store's state was taken, gives the state the journal describes.
    /// - Returns: whether the record changed anything.
    /// - Throws: when the record does not follow the store's state (a revision gap, a delete of a key that
    ///   does not exist, a compaction beyond the current revision): the journal and the snapshot disagree.
    @discardableResult
    public func replay(_ record: JournalRecord) throws(JournalError) -> Bool {
        switch record {
        case .changes(let revision, let changes):
            let outcome: Result<Bool, JournalError> = state.withLock { state in
                if revision <= state.currentRevision { return .success(false) }
                guard revision == state.currentRevision + 1 else {
                    return .failure(JournalError(offset: 0, reason: "revision \(revision) does not follow the store's revision \(state.currentRevision)"))
                }
                var batch = WriteBatch(main: revision)
                for change in changes {
                    switch change {
                    case .put(let key, let value, let lease):
                        guard !key.isEmpty else { return .failure(JournalError(offset: 0, reason: "a put of an empty key at revision \(revision)")) }
                        state.applyPut(PutRequest(key: key, value: value, lease: lease), in: &batch)
                    case .delete(let key):
                        guard state.applyDelete(.single(key), in: &batch).count == 1 else {
                            return .failure(JournalError(offset: 0, reason: "revision \(revision) deletes a key that does not exist"))
                        }
                    }
                }
                guard batch.hasChanges else { return .failure(JournalError(offset: 0, reason: "revision \(revision) changes nothing")) }
                self.commit(&state, batch)
                return .success(true)
            }
            return try outcome.get()
        case .compaction(let revision):
            let due: Result<Bool, JournalError> = state.withLock { state in
                if revision <= state.compactedRevision { return .success(false) }
                guard revision <= state.currentRevision else {
                    return .failure(JournalError(offset: 0, reason: "compaction at \(revision) is beyond the store's revision \(state.currentRevision)"))
                }
                return .success(true)
            }
            guard try due.get() else { return false }
            do { _ = try compact(CompactionRequest(revision: revision)) } catch {
                throw JournalError(offset: 0, reason: "compaction at \(revision): \(error)")
            }
            return true
        case .leaseGrant(let id, let ttl):
            let now = configuration.clock.nowNanoseconds()
            state.withLock { state in
                let deadline = Store.leaseDeadline(now, ttl)
                if state.leases.contains(id) {
                    state.leases.setDeadline(deadline, of: id)
                } else {
                    state.leases.insert(.init(id: id, grantedTTL: ttl, deadline: deadline))
                }
            }
            return true
        case .leaseRemoval(let id):
            return state.withLock { state in
                guard let lease = state.leases.remove(id) else { return false }
                // Its keys' deletes came before this record; any still attached lost their lease.
                for key in lease.keys { state.leases.detach(key, from: id) }
                return true
            }
        case .auth(let contents):
            auth.load(contents)
            return true
        }
    }
}

extension StoreState {
    /// Encodes a record into the reusable scratch buffer and hands it to the journal, if one is attached.
    @inline(__always)
    mutating func journal(_ encode: (inout JournalEncoder) -> Void) {
        guard let journal else { return }
        journalScratch.bytes.removeAll(keepingCapacity: true)
        encode(&journalScratch)
        journalScratch.bytes.withUnsafeBytes { journal.append($0) }
    }

    /// Journals the changes of a committed batch.
    mutating func journalChanges(_ batch: WriteBatch) {
        journal { bytes in
            bytes.changesHeader(revision: batch.main, count: batch.changes.count)
            for change in batch.changes {
                let record = change.record
                record.withKeyBytes { key in
                    if record.isTombstone {
                        bytes.deleteChange(key: key)
                    } else {
                        record.withValueBytes { bytes.putChange(key: key, lease: record.lease, value: $0) }
                    }
                }
            }
        }
    }

    mutating func journalLeaseGrant(id: Int64, ttl: Int64) {
        journal { $0.leaseGrant(id: id, ttl: ttl) }
    }

    mutating func journalLeaseRemoval(id: Int64) {
        journal { $0.leaseRemoval(id: id) }
    }

    mutating func journalCompaction(at revision: Int64) {
        journal { $0.compaction(revision: revision) }
    }
}
