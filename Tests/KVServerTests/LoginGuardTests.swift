import KVStore
import Testing
@testable import KVServer

/// The admission rules of the login guard and its log, on a manual clock (over the wire:
/// `LoginGuessingTests`).
@Suite struct LoginGuardTests {
    static let ms: UInt64 = 1_000_000

    static func makeGuard(baseDelay: UInt64 = 100 * ms, clock: ManualClock) -> LoginGuard {
        LoginGuard(checker: PasswordChecker(auth: AuthStore(clock: clock, iterations: 10)), baseDelay: baseDelay,
                   logger: Logger(level: .error, fd: -1), clock: { clock.nowNanoseconds() })
    }

    /// With d = 100 ms: a name has 5 free attempts, then one a second; waits past 5 s are refused.
    @Test func oneNameFromManyConnections() {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let guarded = Self.makeGuard(clock: clock)
        var decisions: [LoginGuard.Admission] = []
        for index in 0..<12 { decisions.append(guarded.admit(name: "root", host: "10.0.0.\(index)")) }
        let expected: [LoginGuard.Admission] = [.now, .now, .now, .now, .now,
                                                .after(1000 * Self.ms), .after(2000 * Self.ms), .after(3000 * Self.ms),
                                                .after(4000 * Self.ms), .after(5000 * Self.ms), .refused, .refused]
        #expect(decisions == expected)
        // Another name is not slowed by it.
        #expect(guarded.admit(name: "alice", host: "10.0.0.99") == .now)
        // A second later, one more attempt fits within the horizon.
        clock.advance(seconds: 1)
        #expect(guarded.admit(name: "root", host: "10.0.1.1") == .after(5000 * Self.ms))
        #expect(guarded.admit(name: "root", host: "10.0.1.1") == .refused)
    }

    /// Many names from one address: 20 free attempts, then one every 200 ms.
    @Test func manyNamesFromOneAddress() {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let guarded = Self.makeGuard(clock: clock)
        for index in 0..<20 { #expect(guarded.admit(name: "user\(index)", host: "10.0.0.1") == .now) }
        #expect(guarded.admit(name: "user20", host: "10.0.0.1") == .after(200 * Self.ms))
        for index in 21..<45 { _ = guarded.admit(name: "user\(index)", host: "10.0.0.1") }
        #expect(guarded.admit(name: "user45", host: "10.0.0.1") == .refused, "25 waits fill the 5 s horizon")
        #expect(guarded.admit(name: "user46", host: "10.0.0.2") == .now, "another address is not slowed")
    }

    /// Successful logins give their tokens back: a user who logs in often is never slowed.
    @Test func successesDoNotCount() {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let guarded = Self.makeGuard(clock: clock)
        for _ in 0..<100 {
            #expect(guarded.admit(name: "alice", host: "10.0.0.1") == .now)
            guarded.loginSucceeded(name: "alice", host: "10.0.0.1")
        }
        #expect(guarded.tokens(name: "alice", host: "10.0.0.1") == (5, 20))
    }

    @Test func aZeroDelayTurnsTheGuardOff() {
        let guarded = Self.makeGuard(baseDelay: 0, clock: ManualClock())
        for _ in 0..<100 { #expect(guarded.admit(name: "root", host: "10.0.0.1") == .now) }
    }

    @Test func theHorizonScalesWithTheDelayUpTo5Seconds() {
        #expect(Self.makeGuard(baseDelay: 20 * Self.ms, clock: ManualClock()).horizon == 1000 * Self.ms)
        #expect(Self.makeGuard(baseDelay: 100 * Self.ms, clock: ManualClock()).horizon == 5000 * Self.ms)
        #expect(Self.makeGuard(baseDelay: 5000 * Self.ms, clock: ManualClock()).horizon == 5000 * Self.ms)
        #expect(Self.makeGuard(baseDelay: .max, clock: ManualClock()).horizon == 5000 * Self.ms)
    }

    @Test(arguments: [("127.0.0.1:5000", "127.0.0.1"), ("[::1]:5000", "::1"), ("[fe80::1%eth0]:1", "fe80::1%eth0"),
                      ("10.1.2.3", "10.1.2.3"), ("unknown", "unknown"), ("::1", "::1")])
    func hostsArePeersWithoutTheirPort(peer: String, host: String) {
        #expect(LoginGuard.host(of: peer) == host)
    }

    @Test func theFailureLogSummarizesBursts() {
        var log = LoginFailureLog(interval: 10_000 * Self.ms)
        let first = log.record(user: "root", peer: "10.0.0.1", refused: false, now: 0)
        #expect(first == #"failed login: user="root" peer=10.0.0.1 (further failures are summarized every 10 s)"#)
        for index in 0..<3000 {
            #expect(log.record(user: "u\(index % 1500)", peer: "10.0.\(index % 3).1", refused: index % 2 == 0,
                               now: UInt64(index) * Self.ms) == nil)
        }
        #expect(log.flush(now: 9_999 * Self.ms) == nil)
        let summary = log.flush(now: 10_000 * Self.ms)
        #expect(summary == #"failed logins in the last 10 s: 1500 failed, 1500 refused unchecked (too many failures); 1000+ user name(s), 3 peer(s); last: user="u1499" peer=10.0.2.1"#)
        #expect(log.flush(now: 30_000 * Self.ms) == nil, "nothing more to say")
        let long = String(repeating: "x", count: 500) + "\n"
        let line = log.record(user: long, peer: "10.0.0.1", refused: true, now: 40_000 * Self.ms)
        #expect(line == #"login refused (too many failures): user="\#(String(repeating: "x", count: 64))…" peer=10.0.0.1 (further failures are summarized every 10 s)"#)
    }
}
