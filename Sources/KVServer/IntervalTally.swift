/// Turns a burst of one kind of event into at most one log line per interval: the first event after a
/// quiet interval is reported at once; later ones are counted and reported together once the interval
/// since the last report has passed — by the next event, or by `flush` (which the owner calls at
/// `flushDeadline`, so the last burst is reported too).
///
///     var tally = IntervalTally(interval: 10 * second)
///     tally.record(now: 0)          // 1: report "1 event"
///     tally.record(now: 1 * second) // nil (held)
///     tally.record(now: 2 * second) // nil (held)
///     tally.flush(now: 10 * second) // 2: report "2 events in the last 10 s"
///
/// A plain value: its owner keeps it on one thread or under a lock. Times are monotonic nanoseconds.
struct IntervalTally: Sendable {
    let interval: UInt64
    /// When the last report was made (nil before the first).
    private(set) var lastReport: UInt64?
    /// Events counted since the last report.
    private(set) var held = 0

    init(interval: UInt64) {
        self.interval = interval
    }

    /// Counts one event. - Returns: the number of events to report now (this one and the held ones),
    /// or nil when they are held for a later report.
    mutating func record(now: UInt64) -> Int? {
        held += 1
        return flush(now: now)
    }

    /// The held events, when there are some and the interval since the last report has passed.
    mutating func flush(now: UInt64) -> Int? {
        guard held > 0 else { return nil }
        if let lastReport, now < lastReport &+ interval, now >= lastReport { return nil }
        let count = held
        held = 0
        lastReport = now
        return count
    }

    /// When `flush` will report the held events (nil when none are held).
    var flushDeadline: UInt64? {
        guard held > 0, let lastReport else { return nil }
        return lastReport &+ interval
    }
}
