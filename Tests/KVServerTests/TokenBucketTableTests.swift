import Testing
@testable import KVServer

@Suite struct TokenBucketTableTests {
    static let second: UInt64 = 1_000_000_000

    /// Burst 3, a token a second: (key, time in ms, the wait `take` returns in ms; nil: `giveBack`).
    static let steps: [(UInt64, UInt64, UInt64?)] = [
        (7, 0, 0), (7, 0, 0), (7, 0, 0),          // the burst
        (7, 0, 1000), (7, 0, 2000), (7, 0, 3000), // in debt: spaced a second apart
        (9, 0, 0),                                // another key, its own bucket
        (7, 0, nil), (7, 0, 3000),                // a token given back is taken again
        (7, 2500, 1500),                          // 2.5 s later: 2.5 tokens repaid, 4 owed
        (7, 10_000, 0),                           // long repaid: the whole burst is back
        (7, 10_000, 0), (7, 10_000, 0), (7, 10_000, 1000),
    ]

    @Test func spendsRefillsAndSpacesTakersInDebt() {
        var table = TokenBucketTable(sets: 16, burst: 3, refillInterval: Self.second)
        for (index, (key, ms, expected)) in Self.steps.enumerated() {
            let now = ms * 1_000_000
            if let expected {
                #expect(table.take(key, now: now) == expected * 1_000_000, "step \(index)")
            } else {
                table.giveBack(key, now: now)
            }
        }
    }

    @Test func givingBackNeverExceedsTheBurst() {
        var table = TokenBucketTable(sets: 4, burst: 2, refillInterval: Self.second)
        table.giveBack(5, now: 0)
        #expect(table.tokens(5, now: 0) == 2, "an untracked key reads full")
        #expect(table.take(5, now: 0) == 0)
        for _ in 0..<10 { table.giveBack(5, now: 0) }
        #expect(table.tokens(5, now: 0) == 2)
        #expect(table.take(5, now: 0) == 0 && table.take(5, now: 0) == 0 && table.take(5, now: 0) == Self.second)
        #expect(table.tokens(5, now: Self.second / 2) == -0.5)
    }

    /// Millions of distinct keys cannot grow the table, nor push out a bucket in debt: the new keys
    /// replace each other, as they are fuller.
    @Test func sprayingKeysKeepsTheMemoryAndTheDebtors() {
        var table = TokenBucketTable(sets: 256, burst: 5, refillInterval: Self.second)
        let hot: UInt64 = 0xdead_beef
        for _ in 0..<25 { _ = table.take(hot, now: 0) }
        #expect(table.tokens(hot, now: 0) == -20)
        var generator = SeededRandom(seed: 42)
        for _ in 0..<300_000 { _ = table.take(generator.next(), now: 0) }
        #expect(table.capacity == 1024)
        #expect(table.tokens(hot, now: 0) == -20, "the debtor is still tracked")
        #expect(table.take(hot, now: 0) == 21 * Self.second)
    }

    /// Random takes and give-backs on a few keys (one group, so none is ever evicted) against a
    /// dictionary of buckets; seed printed on failure.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesAReferenceModel(seed: UInt64) {
        var table = TokenBucketTable(sets: 1, burst: 4, refillInterval: 300_000_000)
        var model: [UInt64: (tokens: Double, updated: UInt64)] = [:]
        var random = SeededRandom(seed: seed)
        var now: UInt64 = 0
        for step in 0..<5000 {
            now += random.next() % 200_000_000
            let key = 1 + random.next() % 4
            var bucket = model[key] ?? (4, now)
            bucket.tokens = min(4, bucket.tokens + Double(now - bucket.updated) / 300_000_000)
            bucket.updated = now
            if random.next() % 4 == 0 {
                if model[key] != nil { bucket.tokens = min(4, bucket.tokens + 1); model[key] = bucket }
                table.giveBack(key, now: now)
            } else {
                bucket.tokens -= 1
                model[key] = bucket
                let expected = bucket.tokens >= 0 ? 0 : UInt64((-bucket.tokens * 300_000_000).rounded(.up))
                let wait = table.take(key, now: now)
                #expect(max(wait, expected) - min(wait, expected) <= 1, "seed \(seed) step \(step): \(wait) ns, expected \(expected) (rounding aside)")
            }
            #expect(abs(table.tokens(key, now: now) - (model[key]?.tokens ?? 4)) < 1e-9, "seed \(seed) step \(step)")
        }
    }
}

/// SplitMix64, for reproducible randomized tests.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
