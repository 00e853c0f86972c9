/// A token bucket for each of any number of keys, in a fixed amount of memory.
///
/// Each bucket holds up to `burst` tokens and gains one every `refillInterval` nanoseconds. `take`
/// spends one and says how long the caller must wait before acting: nothing while tokens remain; past
/// that the bucket goes into debt, and the n-th token owed is paid back n refill intervals later — so
/// takers that arrive together are spaced `refillInterval` apart, however many they are. `giveBack`
/// returns a token (an action that did not happen, or should not count).
///
///     var table = TokenBucketTable(sets: 256, burst: 2, refillInterval: 1_000_000_000)
///     table.take(7, now: 0)        // 0: act now (1 token left)
///     table.take(7, now: 0)        // 0 (none left)
///     table.take(7, now: 0)        // 1 s: the next token
///     table.take(7, now: 0)        // 2 s
///     table.take(9, now: 0)        // 0: another key has its own bucket
///
/// Keys are 64-bit hashes (0 is reserved for an empty slot). The table is set-associative: `sets`
/// groups of `ways` slots, a key living in the group its hash picks. When a group is full, a new key
/// takes the slot of the fullest bucket — the one that says least, a full bucket saying nothing at all —
/// so the buckets in debt, the ones that slow someone down, are the last to go. Millions of distinct
/// keys cannot grow it; they can only push out each other and buckets that have refilled.
///
/// A plain value: its owner keeps it on one thread or under a lock. Times are monotonic nanoseconds.
///
/// - Complexity: `take`, `giveBack` and `tokens` are O(`ways`).
struct TokenBucketTable: Sendable {
    private struct Slot: Sendable {
        var key: UInt64 = 0
        var tokens: Double = 0
        var updated: UInt64 = 0
    }

    static let ways = 4

    let burst: Double
    let refillInterval: UInt64
    private let sets: Int
    private var slots: [Slot]

    /// - Parameters:
    ///   - sets: groups of `ways` slots (at least 1): the table tracks at most `sets * ways` keys.
    ///   - burst: the tokens a bucket holds when full (at least 1).
    ///   - refillInterval: nanoseconds per token regained (at least 1).
    init(sets: Int, burst: Int, refillInterval: UInt64) {
        self.sets = max(1, sets)
        self.burst = Double(max(1, burst))
        self.refillInterval = max(1, refillInterval)
        slots = Array(repeating: Slot(), count: self.sets * TokenBucketTable.ways)
    }

    /// How many keys the table can track at once.
    var capacity: Int { slots.count }

    /// Spends a token of `key`'s bucket. - Returns: nanoseconds to wait before acting (0: at once).
    mutating func take(_ key: UInt64, now: UInt64) -> UInt64 {
        let index = slot(for: key, now: now)
        slots[index].tokens -= 1
        let debt = -slots[index].tokens
        guard debt > 0 else { return 0 }
        let wait = debt * Double(refillInterval)
        return wait >= Double(UInt64.max) ? .max : UInt64(wait.rounded(.up))
    }

    /// Returns a token to `key`'s bucket (never above `burst`); nothing when the key is not tracked.
    mutating func giveBack(_ key: UInt64, now: UInt64) {
        guard let index = existing(key) else { return }
        refill(index, now: now)
        slots[index].tokens = min(burst, slots[index].tokens + 1)
    }

    /// The tokens `key`'s bucket holds at `now` (negative: in debt); `burst` for an untracked key.
    func tokens(_ key: UInt64, now: UInt64) -> Double {
        guard let index = existing(key) else { return burst }
        var slot = slots[index]
        TokenBucketTable.refill(&slot, now: now, burst: burst, interval: refillInterval)
        return slot.tokens
    }

    private func group(of key: UInt64) -> Range<Int> {
        let start = Int(key % UInt64(sets)) * TokenBucketTable.ways
        return start..<(start + TokenBucketTable.ways)
    }

    private func existing(_ key: UInt64) -> Int? {
        let key = key == 0 ? 1 : key
        return group(of: key).first { slots[$0].key == key }
    }

    /// The slot of `key`, refilled to `now`; a new full bucket when the key was not tracked.
    private mutating func slot(for key: UInt64, now: UInt64) -> Int {
        let key = key == 0 ? 1 : key
        if let index = existing(key) {
            refill(index, now: now)
            return index
        }
        var victim = group(of: key).lowerBound
        var victimTokens = -Double.infinity
        for index in group(of: key) {
            if slots[index].key == 0 {
                victim = index
                break
            }
            refill(index, now: now)
            if slots[index].tokens > victimTokens {
                victim = index
                victimTokens = slots[index].tokens
            }
        }
        slots[victim] = Slot(key: key, tokens: burst, updated: now)
        return victim
    }

    private mutating func refill(_ index: Int, now: UInt64) {
        TokenBucketTable.refill(&slots[index], now: now, burst: burst, interval: refillInterval)
    }

    private static func refill(_ slot: inout Slot, now: UInt64, burst: Double, interval: UInt64) {
        guard now > slot.updated else { return }
        slot.tokens = min(burst, slot.tokens + Double(now - slot.updated) / Double(interval))
        slot.updated = now
    }
}
