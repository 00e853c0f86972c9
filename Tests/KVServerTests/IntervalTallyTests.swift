import Testing
@testable import KVServer

@Suite struct IntervalTallyTests {
    static let second: UInt64 = 1_000_000_000

    /// (time of each event in seconds, what `record` returns for it).
    static let cases: [[(UInt64, Int?)]] = [
        [(0, 1), (1, nil), (2, nil), (10, 3), (11, nil), (25, 2)],
        [(5, 1), (15, 1), (16, nil), (24, nil), (26, 3)],
        [(0, 1), (9, nil)],
    ]

    @Test(arguments: cases.indices)
    func burstsAreReportedOncePerInterval(index: Int) {
        var tally = IntervalTally(interval: 10 * Self.second)
        for (time, expected) in Self.cases[index] {
            #expect(tally.record(now: time * Self.second) == expected, "event at \(time) s")
        }
    }

    @Test func flushReportsTheLastBurstAtItsDeadline() {
        var tally = IntervalTally(interval: 10 * Self.second)
        #expect(tally.flushDeadline == nil)
        #expect(tally.record(now: 3 * Self.second) == 1)
        #expect(tally.flushDeadline == nil, "nothing held")
        #expect(tally.record(now: 4 * Self.second) == nil)
        #expect(tally.record(now: 5 * Self.second) == nil)
        #expect(tally.flushDeadline == 13 * Self.second)
        #expect(tally.flush(now: 12 * Self.second) == nil)
        #expect(tally.flush(now: 13 * Self.second) == 2)
        #expect(tally.flush(now: 40 * Self.second) == nil)
        #expect(tally.flushDeadline == nil)
    }
}
