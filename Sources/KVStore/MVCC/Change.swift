/// One change a write made: the key's new latest record (a put, or a tombstone for a delete) and the
/// live record it replaced, if any. The changes of one revision are ordered by sub-revision; watchers
/// receive them as events.
struct Change {
    let record: KVRecord
    let previous: KVRecord?
}

/// The revision a write is applied at, handing out sub-revisions and recording the changes in order.
struct WriteBatch {
    let main: Int64
    private(set) var nextSub: Int64 = 0
    private(set) var changes: [Change] = []

    init(main: Int64) { self.main = main }

    var hasChanges: Bool { !changes.isEmpty }

    mutating func nextRevision() -> Revision {
        defer { nextSub += 1 }
        return Revision(main: main, sub: nextSub)
    }

    mutating func record(_ change: Change) { changes.append(change) }
}
