/// Everything a store holds, mutated only under the store's lock. Writes assume their requests passed
/// validation; each applies at the revision of a `WriteBatch` and records its changes there.
struct StoreState {
    var index: TreeIndex
    var currentRevision: Int64 = 1
    var compactedRevision: Int64 = 0
    var leases = LeaseTable()
    var watchers = WatcherHub()
    /// Bytes held by retained records (headers, keys and values).
    var footprint: Int = 0
    /// Every change since the log's floor, in revision order (for watchers catching up).
    var changeLog: ChangeLog
    /// Operation counters and the live key count (see `StoreStatistics`).
    var counters = StoreCounters()
    /// The NOSPACE alarm: raised by a write refused for the quota; writes that add bytes are refused
    /// while it is up (`StoreConfiguration.quotaBytes`).
    var noSpaceAlarm = false
    /// Where applied changes are sent (`Store.attachJournal`), and the buffer they are encoded in.
    var journal: (any StoreJournal)? = nil
    var journalScratch = JournalEncoder()

    /// Bytes the store holds: retained versions and leases (`Store.sizeInBytes`).
    var size: Int { footprint + leases.footprint }

    /// Admits a write adding about `cost` bytes under `quota`, or raises the alarm and refuses it.
    /// Runs under the write's own lock, so two writers can never both pass on the same room.
    mutating func admit(cost: Int, quota: Int) throws(StoreError) {
        guard cost > 0 else { return }
        if noSpaceAlarm { throw .spaceExceeded }
        let (total, overflow) = size.addingReportingOverflow(cost)
        if overflow || total > quota {
            noSpaceAlarm = true
            throw .spaceExceeded
        }
    }

    init(nodeCapacity: Int) {
        index = TreeIndex(nodeCapacity: nodeCapacity)
        changeLog = ChangeLog(floor: currentRevision)
    }

    /// A view of the keys and their histories (what reads need).
    var view: ReadView {
        ReadView(index: index, currentRevision: currentRevision, compactedRevision: compactedRevision)
    }

    /// A view that also holds the change log (what a watcher catching up needs).
    var viewWithChanges: ReadView {
        ReadView(index: index, currentRevision: currentRevision, compactedRevision: compactedRevision,
                 changeLog: changeLog)
    }

    /// The revision reads see while `batch` is being applied: its own once it has written.
    func readRevision(during batch: WriteBatch) -> Int64 {
        batch.hasChanges ? batch.main : currentRevision
    }

    /// Checks that depend on the current state: the lease exists; the key exists for `ignoreValue`
    /// and `ignoreLease`.
    func checkApplicable(_ put: PutRequest) throws(StoreError) {
        if put.lease != 0, !leases.contains(put.lease) { throw .leaseNotFound(id: put.lease) }
        if put.ignoreValue || put.ignoreLease, view.record(put.key, at: currentRevision) == nil { throw .keyNotFound }
    }

    /// Applies a checked put. - Returns: the live record it replaced.
    @discardableResult
    mutating func applyPut(_ put: PutRequest, in batch: inout WriteBatch) -> KVRecord? {
        let revision = batch.nextRevision()
        let (record, previous) = put.key.withUnsafeBytes { keyBytes in
            index.modify(keyBytes) { element -> (KVRecord, KVRecord?) in
                let latest = element?.key.latest
                let previous = (latest?.isTombstone ?? true) ? nil : latest
                let lease = put.ignoreLease ? (previous?.lease ?? 0) : put.lease
                let makeRecord = { (value: UnsafeRawBufferPointer) in
                    KVRecord.make(key: keyBytes, value: value, createRevision: previous?.createRevision ?? revision.main,
                                  modRevision: revision, version: (previous?.version ?? 0) + 1, lease: lease)
                }
                let record: KVRecord
                if put.ignoreValue, let previous {
                    record = previous.withValueBytes(makeRecord)
                } else {
                    record = put.value.withUnsafeBytes(makeRecord)
                }
                if let latest {
                    element!.value.append(latest)
                    element!.key = IndexKey(record)
                } else {
                    element = (IndexKey(record), [])
                }
                return (record, previous)
            }
        }
        footprint += record.footprint
        counters.puts &+= 1
        if previous == nil { counters.keys += 1 }
        let oldLease = previous?.lease ?? 0
        if oldLease != record.lease {
            leases.detach(put.key, from: oldLease)
            leases.attach(put.key, to: record.lease)
        }
        batch.record(Change(record: record, previous: previous))
        return previous
    }

    /// Deletes every live key of `range`. - Returns: the deleted records, in key order.
    mutating func applyDelete(_ range: KeyRange, in batch: inout WriteBatch) -> [KVRecord] {
        var doomed: [KVRecord] = []
        view.forEachVisible(in: range, at: readRevision(during: batch)) { doomed.append($0); return true }
        for previous in doomed {
            let tombstone = KVRecord.tombstone(of: previous, at: batch.nextRevision())
            previous.withKeyBytes { keyBytes in
                index.modify(keyBytes) { element in
                    element!.value.append(element!.key.latest)
                    element!.key = IndexKey(tombstone)
                }
            }
            footprint += tombstone.footprint
            if previous.lease != 0 { leases.detach(previous.key, from: previous.lease) }
            batch.record(Change(record: tombstone, previous: previous))
        }
        counters.deletes &+= 1
        counters.keys -= doomed.count
        return doomed
    }

    /// Compacts at `revision` from `cursor` (the first key when nil) until about `limit` units of work were
    /// done: one per key plus one per record of its history (a single key's history is never split).
    /// - Returns: the key to continue from, or nil when the whole index has been visited.
    mutating func compactSlice(at revision: Int64, from cursor: [UInt8]?, limit: Int) -> [UInt8]? {
        var updates: [(key: [UInt8], keep: Bool, history: KeyHistory)] = []
        var visited = 0
        var next: [UInt8]? = nil
        let range: KeyRange = .fromKey(cursor ?? [0])
        index.forEach(in: range) { key, history in
            if visited >= limit {
                next = key.latest.key
                return false
            }
            // A key's work is its history's length, so a slice of keys with long histories stays short.
            visited += 1 + history.count
            let result = KeyIndex.compacted(key, history, at: revision)
            if result.changed {
                footprint -= result.freed
                updates.append((key.latest.key, result.keep, result.history))
            }
            return true
        }
        for update in updates {
            update.key.withUnsafeBytes { keyBytes in
                index.modify(keyBytes) { element in
                    if update.keep { element!.value = update.history } else { element = nil }
                }
            }
        }
        return next
    }
}
