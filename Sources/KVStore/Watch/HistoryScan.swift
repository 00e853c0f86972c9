/// Reads the changes to a range between two revisions back out of the index — how a watcher that
/// starts in the past, or fell behind, catches up without the store keeping a separate log.
enum HistoryScan {
    /// The changes to `range` with revisions in `from...to`, ordered by revision and sub-revision,
    /// cut after the first whole revision that brings the count to `limit` or more.
    /// - Returns: the changes, and the last revision they cover completely (`to` when nothing was cut).
    static func changes(in range: KeyRange, from: Int64, to: Int64, limit: Int, view: ReadView)
        -> (changes: [Change], coveredThrough: Int64) {
        guard from <= to else { return ([], to) }
        var found: [Change] = []
        view.index.forEach(in: range) { key, history in
            let latest = key.latest
            // Newest first, stopping once older than `from`; each change's predecessor is the next older record.
            if latest.modMain < from { return true }
            var index = history.count
            var record = latest
            while true {
                let older: KVRecord? = index > 0 ? history[index - 1] : nil
                if record.modMain >= from, record.modMain <= to {
                    let previous = (older?.isTombstone ?? true) ? nil : older
                    found.append(Change(record: record, previous: previous))
                }
                guard let older, record.modMain > from else { break }
                record = older
                index -= 1
            }
            return true
        }
        found.sort { $0.record.modRevision < $1.record.modRevision }
        guard found.count > limit else { return (found, to) }
        let cutRevision = found[limit - 1].record.modMain
        var end = limit
        while end < found.count, found[end].record.modMain == cutRevision { end += 1 }
        if end == found.count { return (found, to) }
        return (Array(found[..<end]), cutRevision)
    }
}
