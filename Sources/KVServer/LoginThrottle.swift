import Dispatch
import KVPosix
import KVStore
import Synchronization

/// Slows password guessing on one connection: each failed login is answered only after a delay that
/// starts at the configured base and doubles with every further failure on the connection, up to a
/// cap. A connection handles nothing else while a login is pending, so pipelined guesses wait in line.
/// Loop thread only.
struct LoginThrottle {
    let baseDelay: UInt64
    let maximumDelay: UInt64
    private(set) var failures = 0

    init(baseDelay: UInt64, maximumDelay: UInt64 = ServerConfig.maxAuthFailureDelay) {
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// Counts a failure and returns how long to hold its reply, in nanoseconds.
    mutating func recordFailure() -> UInt64 {
        failures += 1
        guard baseDelay > 0 else { return 0 }
        let doublings = min(failures - 1, 32)
        let (delay, overflow) = baseDelay.multipliedReportingOverflow(by: 1 << UInt64(doublings))
        return overflow ? maximumDelay : min(delay, maximumDelay)
    }
}

/// Runs password checks (PBKDF2, milliseconds each by design) off the event loops, one at a time:
/// a login never stalls other clients, and guesses from many connections together get at most one core.
final class PasswordChecker: Sendable {
    private let queue = DispatchQueue(label: "kvserver.password-checks")
    private let auth: AuthStore
    private let failures = Atomic<UInt64>(0)

    init(auth: AuthStore) { self.auth = auth }

    /// Logins refused for a wrong password or an unknown user so far (`kvserver_auth_failures_total`).
    var failedLogins: UInt64 { failures.load(ordering: .relaxed) }

    /// Checks the credentials on the checker's thread, then hands the result (a token) to `done` on `loop`.
    func check(name: String, password: String, loop: EventLoop,
               done: @Sendable @escaping (Result<String, AuthError>) -> Void) {
        queue.async { [self] in
            let result = Result { () throws(AuthError) -> String in try auth.authenticate(name: name, password: password) }
            if case .failure(.authenticationFailed) = result { failures.add(1, ordering: .relaxed) }
            loop.execute { done(result) }
        }
    }
}
