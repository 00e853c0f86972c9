/// The index entry of one key: its latest record (the B-tree key, so searches compare against it) and
/// the older records still retained, oldest first.
///
/// A key's history is a sequence of *generations*. Each starts with a put (version 1, its create
/// revision) and ends with a tombstone left by a delete:
///
///     put@2  put@5  del@7  |  put@9
///     └── generation 1 ───┘   └ generation 2 (open; latest record = put@9)
///
/// `visible(at:)` answers "what did this key hold at revision R": the newest record with
/// `modRevision <= R`, unless that record is a tombstone (the key did not exist then).
///
/// Compacting at revision C keeps, per key, the newest record `<= C` and everything after it, and
/// drops that record too when it is a tombstone; a key left with nothing is removed from the index.
/// With the history above, compact(6) keeps put@5 onward, compact(7) keeps only put@9.
struct IndexKey {
    /// The first key bytes as a big-endian integer, compared before the full key.
    let prefix: UInt64
    /// The key's newest record (possibly a tombstone).
    let latest: KVRecord

    init(_ latest: KVRecord) {
        self.latest = latest
        prefix = latest.withKeyBytes { KeyBytes.prefix($0) }
    }
}

/// A search target for the index: raw key bytes with their precomputed prefix.
struct KeyProbe {
    let prefix: UInt64
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        prefix = KeyBytes.prefix(bytes)
    }

    /// The sign of `entry - target`.
    @inline(__always)
    func compare(_ entry: IndexKey) -> Int {
        if entry.prefix != prefix { return entry.prefix < prefix ? -1 : 1 }
        return entry.latest.compareKey(to: bytes)
    }
}

/// The retained records of a key older than `IndexKey.latest`, oldest first.
typealias KeyHistory = [KVRecord]

enum KeyIndex {
    /// The key's record at `revision`, or nil when the key did not exist then.
    @inline(__always)
    static func visible(_ key: IndexKey, _ history: KeyHistory, at revision: Int64) -> KVRecord? {
        let latest = key.latest
        if latest.modMain <= revision { return latest.isTombstone ? nil : latest }
        // Newest older record with modMain <= revision.
        var low = 0
        var high = history.count
        while low < high {
            let mid = (low + high) >> 1
            if history[mid].modMain <= revision { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let record = history[low - 1]
        return record.isTombstone ? nil : record
    }

    /// What compaction at `revision` leaves of a key: nil when the key goes entirely, otherwise the new
    /// history (unchanged when nothing is dropped). Also reports the bytes freed.
    static func compacted(_ key: IndexKey, _ history: KeyHistory, at revision: Int64)
        -> (keep: Bool, history: KeyHistory, freed: Int, changed: Bool) {
        let latest = key.latest
        if latest.modMain <= revision {
            // Everything older goes; the latest goes too when it is a tombstone.
            let freed = history.reduce(0) { $0 + $1.footprint }
            if latest.isTombstone { return (false, [], freed + latest.footprint, true) }
            return (true, [], freed, !history.isEmpty)
        }
        // Index of the newest older record <= revision.
        var low = 0
        var high = history.count
        while low < high {
            let mid = (low + high) >> 1
            if history[mid].modMain <= revision { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return (true, history, 0, false) }
        var keepFrom = low - 1
        if history[keepFrom].isTombstone { keepFrom += 1 }
        guard keepFrom > 0 else { return (true, history, 0, false) }
        let freed = history[..<keepFrom].reduce(0) { $0 + $1.footprint }
        return (true, Array(history[keepFrom...]), freed, true)
    }
}
