/// What the log says about failed logins: the first failure after a quiet interval as one line (user and
/// peer), then at most one summary line per interval — how many failed, how many were refused without a
/// check, from how many distinct user names and peer addresses — however many guesses arrive. Memory is
/// bounded: distinct names and peers are counted up to `distinctLimit` ("1000+" beyond).
///
/// A plain value: its owner keeps it under a lock and writes the lines it returns outside of it.
struct LoginFailureLog: Sendable {
    static let distinctLimit = 1000
    /// Names longer than this are cut in log lines (they are the client's, and unbounded).
    static let nameLimit = 64

    private var tally: IntervalTally
    private var failed = 0
    private var refused = 0
    private var users = Set<Int>()
    private var peers = Set<Int>()
    private var lastUser = ""
    private var lastPeer = ""

    init(interval: UInt64) {
        tally = IntervalTally(interval: interval)
    }

    var interval: UInt64 { tally.interval }

    /// Counts a failed login (`refused`: refused before its password was checked). - Returns: the line to
    /// log now, if any.
    mutating func record(user: String, peer: String, refused wasRefused: Bool, now: UInt64) -> String? {
        if wasRefused { refused += 1 } else { failed += 1 }
        if users.count < LoginFailureLog.distinctLimit { users.insert(user.hashValue) }
        if peers.count < LoginFailureLog.distinctLimit { peers.insert(peer.hashValue) }
        lastUser = user
        lastPeer = peer
        guard let count = tally.record(now: now) else { return nil }
        return line(count: count)
    }

    /// The summary of the failures held since the last line, once the interval has passed.
    mutating func flush(now: UInt64) -> String? {
        guard let count = tally.flush(now: now) else { return nil }
        return line(count: count)
    }

    private mutating func line(count: Int) -> String {
        defer {
            failed = 0
            refused = 0
            users.removeAll(keepingCapacity: true)
            peers.removeAll(keepingCapacity: true)
        }
        var user = lastUser
        if user.count > LoginFailureLog.nameLimit { user = String(user.prefix(LoginFailureLog.nameLimit)) + "…" }
        let example = "user=\(String(reflecting: user)) peer=\(lastPeer)"
        if count == 1 {
            let what = refused == 1 ? "login refused (too many failures)" : "failed login"
            return "\(what): \(example) (further failures are summarized every \(interval / 1_000_000_000) s)"
        }
        func distinct(_ set: Set<Int>) -> String {
            set.count >= LoginFailureLog.distinctLimit ? "\(LoginFailureLog.distinctLimit)+" : "\(set.count)"
        }
        return "failed logins in the last \(interval / 1_000_000_000) s: \(failed) failed, \(refused) refused unchecked (too many failures); \(distinct(users)) user name(s), \(distinct(peers)) peer(s); last: \(example)"
    }
}
