import KVPosix
import KVStore
import Synchronization

/// Slows password guessing across connections, server-wide: every login attempt spends a token from a
/// bucket of its user name and one of its peer's address (`TokenBucketTable`, fixed-size), and its
/// password is only checked once both buckets can pay. A successful login gives its tokens back, so
/// only failures count.
///
/// With the default `--auth-failure-delay` of 100 ms (`d`):
///
/// | bucket | free attempts | then one every |
/// |---|---|---|
/// | user name | 5 | 10 d (1 s) |
/// | peer address (without port) | 20 | 2 d (200 ms) |
///
/// An attempt that would have to wait longer than `horizon` (50 d, at most 5 s) is refused at once
/// without a check
/// (`AuthError.tooManyRequests`, etcd's "etcdserver: too many requests"), so waiting attempts never pile
/// up. Opening a new connection per guess gains nothing: 50 parallel connections guessing one name get
/// one checked guess a second, guessing many names from one address five. A user whose name and address
/// are not under attack logs in without waiting; one whose name is, waits its turn or is refused like
/// the guesser (the price of a per-name limit).
///
/// The per-connection `LoginThrottle` still delays each failed reply. Failures are logged through
/// `LoginFailureLog`: one line for the first, then one summary per `logInterval`. A delay of 0 turns the
/// guard off (every attempt is checked at once; failures are still logged so).
final class LoginGuard: Sendable {
    enum Admission: Equatable, Sendable {
        case now
        /// Check the password after this many nanoseconds.
        case after(UInt64)
        /// Refuse without checking.
        case refused
    }

    static let userBurst = 5
    static let peerBurst = 20
    static let logInterval: UInt64 = 10_000_000_000
    /// Slots of each table: 4,096 user names and 4,096 addresses tracked at most (about 100 KiB in all).
    static let tableSets = 1024

    let isEnabled: Bool
    let horizon: UInt64
    private let checker: PasswordChecker
    private let logger: Logger
    private let clock: @Sendable () -> UInt64
    private let state: Mutex<State>

    private struct State {
        var users: TokenBucketTable
        var peers: TokenBucketTable
        var log: LoginFailureLog
    }

    /// - Parameters:
    ///   - baseDelay: `--auth-failure-delay` in nanoseconds; 0 disables the guard.
    ///   - clock: monotonic nanoseconds (injected by tests).
    init(checker: PasswordChecker, baseDelay: UInt64, logger: Logger,
         clock: @escaping @Sendable () -> UInt64 = { Posix.monotonicNanoseconds() }) {
        self.checker = checker
        self.logger = logger
        self.clock = clock
        isEnabled = baseDelay > 0
        let (userInterval, o1) = baseDelay.multipliedReportingOverflow(by: 10)
        let (peerInterval, o2) = baseDelay.multipliedReportingOverflow(by: 2)
        let (horizon, o3) = baseDelay.multipliedReportingOverflow(by: 50)
        self.horizon = o3 ? ServerConfig.maxAuthFailureDelay : min(horizon, ServerConfig.maxAuthFailureDelay)
        state = Mutex(State(
            users: TokenBucketTable(sets: LoginGuard.tableSets, burst: LoginGuard.userBurst,
                                    refillInterval: o1 ? .max : userInterval),
            peers: TokenBucketTable(sets: LoginGuard.tableSets, burst: LoginGuard.peerBurst,
                                    refillInterval: o2 ? .max : peerInterval),
            log: LoginFailureLog(interval: LoginGuard.logInterval)))
    }

    /// Checks a login the way `PasswordChecker.check` does — the result (a token, or why not) is handed
    /// to `done` on `loop` — once the guard admits it: at once, after a wait, or never (`.tooManyRequests`).
    func check(name: String, password: String, peer: String, loop: EventLoop,
               done: @Sendable @escaping (Result<String, AuthError>) -> Void) {
        let host = LoginGuard.host(of: peer)
        let run: @Sendable () -> Void = { [self] in
            checker.check(name: name, password: password, loop: loop) { [self] result in
                switch result {
                case .success: loginSucceeded(name: name, host: host)
                case .failure(.authenticationFailed): noteFailure(user: name, host: host, refused: false)
                case .failure: break
                }
                done(result)
            }
        }
        switch admit(name: name, host: host) {
        case .now:
            run()
        case .after(let wait):
            loop.schedule(after: wait, run)
        case .refused:
            noteFailure(user: name, host: host, refused: true)
            loop.execute { done(.failure(.tooManyRequests)) }
        }
    }

    /// Spends a token of the name's bucket and of the address's; refunds both when the wait would pass
    /// the horizon.
    func admit(name: String, host: String) -> Admission {
        guard isEnabled else { return .now }
        let now = clock()
        let user = LoginGuard.key(name), peer = LoginGuard.key(host)
        return state.withLock { state in
            let wait = max(state.users.take(user, now: now), state.peers.take(peer, now: now))
            if wait > horizon {
                state.users.giveBack(user, now: now)
                state.peers.giveBack(peer, now: now)
                return .refused
            }
            return wait == 0 ? .now : .after(wait)
        }
    }

    /// A successful login does not count: its tokens go back.
    func loginSucceeded(name: String, host: String) {
        guard isEnabled else { return }
        let now = clock()
        state.withLock { state in
            state.users.giveBack(LoginGuard.key(name), now: now)
            state.peers.giveBack(LoginGuard.key(host), now: now)
        }
    }

    private func noteFailure(user: String, host: String, refused: Bool) {
        let now = clock()
        if let line = state.withLock({ $0.log.record(user: user, peer: host, refused: refused, now: now) }) {
            logger.warn(line)
        }
    }

    /// Logs the summary of failures held since the last line, once the interval has passed; the server
    /// calls it every second.
    func flushLog() {
        let now = clock()
        if let line = state.withLock({ $0.log.flush(now: now) }) { logger.warn(line) }
    }

    /// The tokens left for a name and an address (negative: in debt), for tests.
    func tokens(name: String, host: String) -> (user: Double, peer: Double) {
        let now = clock()
        return state.withLock { ($0.users.tokens(LoginGuard.key(name), now: now), $0.peers.tokens(LoginGuard.key(host), now: now)) }
    }

    /// A peer's address without its port: `127.0.0.1:5000` → `127.0.0.1`, `[::1]:5000` → `::1`.
    static func host(of peer: String) -> String {
        var text = Substring(peer)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex)..<close])
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.lastIndex(of: ":") { text = text[..<colon] }
        return String(text)
    }

    private static func key(_ text: String) -> UInt64 {
        UInt64(bitPattern: Int64(text.hashValue))
    }
}
