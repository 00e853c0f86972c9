/// Every change since `floor`, in revision order: how a watcher that fell behind catches up by reading
/// what it missed — O(changes missed), whatever the size of the range it watches — instead of walking
/// every key of that range for the few that changed.
///
/// Changes are appended to a short tail; a full tail is sealed into an immutable chunk. Copying the log
/// (a read view does) is O(1); an append while a view shares the tail copies at most the tail
/// (`chunkSize` changes). Compaction drops whole chunks from the front, so it costs O(chunks dropped);
/// the changes at or below the compacted revision that share a chunk with newer ones stay until the
/// chunk goes (at most `chunkSize` of them). A change holds the key's new record and the live record it
/// replaced — the index's own records — so the log adds about 16 bytes per change, no key or value bytes.
///
/// `floor`: the log holds every change with a main revision above it. A fresh store's floor is its
/// first revision; a store restored from a snapshot starts its log at the snapshot's revision (older
/// changes are read from the key index's history, see `HistoryScan`).
struct ChangeLog {
    /// Sealed chunks, oldest first; each holds `chunkSize` changes in revision order.
    private var chunks: [Chunk] = []
    private var tail: [Change] = []
    private(set) var floor: Int64

    final class Chunk {
        let changes: [Change]
        init(_ changes: [Change]) { self.changes = changes }
        var firstMain: Int64 { changes[0].record.modMain }
        var lastMain: Int64 { changes[changes.count - 1].record.modMain }
    }

    static let chunkSize = 256

    init(floor: Int64) {
        self.floor = floor
    }

    var count: Int { chunks.count * Self.chunkSize + tail.count }

    /// Appends the changes of one committed batch (in sub-revision order).
    mutating func append(_ changes: [Change]) {
        for change in changes {
            if tail.isEmpty { tail.reserveCapacity(Self.chunkSize) }
            tail.append(change)
            if tail.count == Self.chunkSize {
                chunks.append(Chunk(tail))
                tail = []
            }
        }
    }

    /// Whether every change with a main revision of `from` or more is here.
    func covers(from: Int64) -> Bool { from > floor }

    /// The changes with main revisions in `from...to`, in order, until `body` returns false.
    func forEach(from: Int64, to: Int64, _ body: (Change) -> Bool) {
        // The first chunk whose last change is at `from` or later.
        var low = 0, high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].lastMain < from { low = middle + 1 } else { high = middle }
        }
        func visit(_ changes: [Change]) -> Bool {
            var start = 0, end = changes.count
            while start < end {
                let middle = (start + end) / 2
                if changes[middle].record.modMain < from { start = middle + 1 } else { end = middle }
            }
            for change in changes[start...] {
                guard change.record.modMain <= to, body(change) else { return false }
            }
            return true
        }
        for chunk in chunks[low...] {
            guard chunk.firstMain <= to, visit(chunk.changes) else { return }
        }
        _ = visit(tail)
    }

    /// Drops the chunks wholly at or below `revision`; the floor rises to it, so the log never claims
    /// changes it dropped.
    /// - Returns: the dropped chunks, so the caller can release them (and the records only they still
    ///   hold) after leaving the store's lock: freeing a million records takes tens of milliseconds.
    @discardableResult
    mutating func compact(through revision: Int64) -> [Chunk] {
        let dropped = chunks.prefix { $0.lastMain <= revision }.count
        let removed = Array(chunks.prefix(dropped))
        if dropped > 0 { chunks.removeFirst(dropped) }
        floor = max(floor, revision)
        return removed
    }
}
