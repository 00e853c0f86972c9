/// Permissions of one access type (read or write) merged into sorted, disjoint, non-adjacent
/// intervals. A range is covered by the union of the permissions exactly when one merged interval
/// holds all of it, so a check is one binary search and allocates nothing.
struct PermissionSet {
    private var starts: [[UInt8]] = []
    /// nil: unbounded.
    private var ends: [[UInt8]?] = []

    init(_ permissions: some Sequence<Permission>) {
        let sorted = permissions.compactMap { Permission.Interval(key: $0.key, rangeEnd: $0.rangeEnd) }
            .sorted { $0.start.lexicographicallyPrecedes($1.start) }
        for interval in sorted {
            if let lastEnd = ends.last {
                // Overlapping or touching the previous one: extend it.
                guard let end = lastEnd else { return }  // the previous one is unbounded: it holds the rest
                if !end.lexicographicallyPrecedes(interval.start) {
                    if let newEnd = interval.end {
                        if end.lexicographicallyPrecedes(newEnd) { ends[ends.count - 1] = newEnd }
                    } else {
                        ends[ends.count - 1] = nil
                    }
                    continue
                }
            }
            starts.append(interval.start)
            ends.append(interval.end)
        }
    }

    var isEmpty: Bool { starts.isEmpty }

    /// Whether every key of `[key, rangeEnd)` (etcd's convention: empty end = the one key, `"\0"` =
    /// every key from `key` on) lies in the set. An empty key or a reversed range is never covered.
    func covers(key: [UInt8], rangeEnd: [UInt8]) -> Bool {
        guard !key.isEmpty else { return false }
        // The last interval starting at or before `key`.
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if key.lexicographicallyPrecedes(starts[middle]) { high = middle } else { low = middle + 1 }
        }
        guard low > 0 else { return false }
        let end = ends[low - 1]
        if rangeEnd.isEmpty {
            // [key, key + "\0") ⊆ [start, end) ⇔ key < end, as key + "\0" is key's successor.
            return end.map { key.lexicographicallyPrecedes($0) } ?? true
        }
        if rangeEnd == [0] { return end == nil }
        guard key.lexicographicallyPrecedes(rangeEnd) else { return false }
        return end.map { !$0.lexicographicallyPrecedes(rangeEnd) } ?? true
    }
}

/// What one user may do, compiled from their roles; cached per user until the next auth change.
struct UserAccess {
    let isRoot: Bool
    let read: PermissionSet
    let write: PermissionSet
}
