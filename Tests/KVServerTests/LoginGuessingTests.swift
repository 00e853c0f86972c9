import Glibc
import KVPosix
import Testing
@testable import KVServer

/// Over the wire: a guesser opening a fresh connection for every guess, 50 at a time, gets its guesses
/// checked at the guard's pace, and a user on another address logs in without waiting.
@Suite struct LoginGuessingTests {
    @Test func freshConnectionsDoNotMultiplyGuesses() throws {
        var template = Array("/tmp/kvguard-log-XXXXXX".utf8CString)
        let logFD = mkstemp(&template)
        defer { close(logFD) }
        // d = 20 ms: the name "root" gets 5 free guesses, then one every 200 ms; waits past 1 s are refused.
        let server = try TestServer({ config in
            config.passwordHashIterations = 50
            config.authFailureDelay = 20_000_000
        }, logFD: logFD)
        defer { server.stop() }
        try AuthTests.configure(server)
        let start = Posix.monotonicNanoseconds()
        var checked = 0
        var refused = 0
        var loginTimes: [UInt64] = []
        for round in 0..<3 {
            var guessers: [RawConnection] = []
            for index in 0..<50 {
                let raw = try server.raw()
                try raw.send("AUTHENTICATE root guess-\(round)-\(index)\n")
                guessers.append(raw)
            }
            // Meanwhile the user "reader" logs in from another address, at once.
            let before = Posix.monotonicNanoseconds()
            let user = try RawConnection(endpoint: server.endpoint, from: "127.0.0.2")
            try user.send("AUTHENTICATE reader r\n")
            #expect(try user.line().hasPrefix("OK rev="))
            loginTimes.append(Posix.monotonicNanoseconds() - before)
            for raw in guessers {
                let reply = try raw.line()
                if reply.hasPrefix("ERR AUTH_FAILED ") {
                    checked += 1
                } else {
                    #expect(reply == #"ERR TOO_MANY_REQUESTS "etcdserver: too many requests""#)
                    refused += 1
                }
            }
        }
        let elapsed = Posix.monotonicNanoseconds() - start
        // At most the burst, one per 200 ms elapsed, and the 5 waits the horizon holds.
        let bound = 5 + Int(elapsed / 200_000_000) + 5
        #expect(checked <= bound, "\(checked) guesses checked in \(elapsed / 1_000_000) ms")
        #expect(checked + refused == 150)
        #expect(loginTimes.allSatisfy { $0 < 500_000_000 }, "\(loginTimes.map { $0 / 1_000_000 }) ms")
        // The log says so in one line (the summary of the rest comes at the end of the 10 s interval).
        var log: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        lseek(logFD, 0, SEEK_SET)
        while true {
            let count = read(logFD, &chunk, chunk.count)
            if count <= 0 { break }
            log += chunk[..<count]
        }
        let warnings = String(decoding: log, as: UTF8.self).split(separator: "\n").filter { $0.contains(" warn ") }
        #expect(warnings.count == 1, "\(warnings)")
        // The first event logged is a checked failure or a refusal, whichever came first (checks take time).
        let first = try #require(warnings.first)
        #expect(first.hasSuffix(#"failed login: user="root" peer=127.0.0.1 (further failures are summarized every 10 s)"#)
                    || first.hasSuffix(#"login refused (too many failures): user="root" peer=127.0.0.1 (further failures are summarized every 10 s)"#),
                "\(warnings)")
    }
}
