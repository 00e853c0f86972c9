/// Reads the changes to a range between two revisions — how a watcher that starts in the past, or fell
/// behind, catches up.
///
/// A range is read from the change log when it covers the revisions asked for: the cost is the changes
/// made since `from` (bounded per call by `maxVisited`), however many keys the range holds. A single key,
/// or revisions older than the log (before a restore), are read from the key index's histories: the
/// cost is the keys of the range and their changes since `from`.
enum HistoryScan {
    /// Changes of the log visited per call at most, as a multiple of `limit`.
    static let visitFactor = 16

    /// The changes to `range` with revisions in `from...to`, ordered by revision and sub-revision,
    /// cut after the first whole revision that brings the count to `limit` or more (or that ends a scan
    /// of the log that visited `visitFactor × limit` changes).
    /// - Returns: the changes, the last revision they cover completely (`to` when nothing was cut), and
    ///   how many changes or index entries were visited (the work done).
    static func changes(in range: KeyRange, from: Int64, to: Int64, limit: Int, view: ReadView)
        -> (changes: [Change], coveredThrough: Int64, visited: Int) {
        guard from <= to else { return ([], to, 0) }
        if !range.isSingleKey, let log = view.changeLog, log.covers(from: from) {
            return fromLog(log, in: range, from: from, to: to, limit: limit)
        }
        return fromIndex(in: range, from: from, to: to, limit: limit, view: view)
    }

    private static func fromLog(_ log: ChangeLog, in range: KeyRange, from: Int64, to: Int64, limit: Int)
        -> (changes: [Change], coveredThrough: Int64, visited: Int) {
        var found: [Change] = []
        var visited = 0
        let maxVisited = max(1, limit) &* visitFactor
        var covered = to
        var lastMain: Int64 = from - 1
        log.forEach(from: from, to: to) { change in
            let main = change.record.modMain
            if main != lastMain {
                // A revision boundary: stop here once enough was found or visited.
                if found.count >= limit || visited >= maxVisited {
                    covered = lastMain
                    return false
                }
                lastMain = main
            }
            visited += 1
            if change.record.withKeyBytes({ range.contains($0) }) { found.append(change) }
            return true
        }
        return (found, covered, visited)
    }

    private static func fromIndex(in range: KeyRange, from: Int64, to: Int64, limit: Int, view: ReadView)
        -> (changes: [Change], coveredThrough: Int64, visited: Int) {
        var found: [Change] = []
        var visited = 0
        view.index.forEach(in: range) { key, history in
            visited += 1
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
        guard found.count > limit else { return (found, to, visited) }
        let cutRevision = found[limit - 1].record.modMain
        var end = limit
        while end < found.count, found[end].record.modMain == cutRevision { end += 1 }
        if end == found.count { return (found, to, visited) }
        return (Array(found[..<end]), cutRevision, visited)
    }
}
