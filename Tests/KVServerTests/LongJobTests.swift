import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// Long jobs (HASH, COMPACT) run on the worker: while one runs, other clients' requests are answered at
/// once, and the client that asked gets its reply when the job is done, in order with its other replies.
@Suite struct LongJobTests {
    /// Sends `job` on one connection and, until its reply arrives, one-key GETs on another; returns the
    /// job's reply line, how long it took, and the GETs' latencies.
    static func measure(_ server: TestServer, job: String) throws -> (reply: String, took: UInt64, latencies: [UInt64]) {
        let worker = try server.raw()
        let healthy = try server.raw()
        let start = Posix.monotonicNanoseconds()
        try worker.send("@job \(job)\n@after PING\n")
        var latencies: [UInt64] = []
        // The job's reply is read once the GETs stop being the only traffic: poll it with a short timeout.
        try worker.socket.setReceiveTimeout(nanoseconds: 1_000_000)
        var reply: String?
        let deadline = start + 120_000_000_000
        while reply == nil && Posix.monotonicNanoseconds() < deadline {
            let sent = Posix.monotonicNanoseconds()
            try healthy.send("GET key-1\n")
            let line = try healthy.line()
            latencies.append(Posix.monotonicNanoseconds() - sent)
            #expect(line.contains(" kvs=1 "))
            reply = try? worker.line()
        }
        let took = Posix.monotonicNanoseconds() - start
        try worker.socket.setReceiveTimeout(nanoseconds: 5_000_000_000)
        #expect(try worker.line() == "@after OK", "replies stay in order")
        return (try #require(reply), took, latencies)
    }

    static func report(_ name: String, _ result: (reply: String, took: UInt64, latencies: [UInt64])) {
        let sorted = result.latencies.sorted()
        let worst = sorted.last ?? 0
        print("\(name): job took \(result.took / 1_000_000) ms; \(sorted.count) GETs meanwhile, p50 \(sorted[sorted.count / 2] / 1000) µs, max \(worst / 1000) µs")
    }

    @Test func aClientIsAnsweredWhileAHashOfManyKeysRuns() throws {
        let server = try TestServer()
        for index in 0..<200_000 { try server.store.put("key-\(index)", "value-\(index)") }
        let result = try Self.measure(server, job: "HASH")
        Self.report("hash of 200k keys", result)
        let (expected, revision) = try KVHash.compute(store: server.store, revision: 0)
        #expect(result.reply.hasPrefix("@job OK rev=\(revision) "))
        #expect(result.reply.contains(" hash=\(expected) "))
        // Answered while the job ran, not after it.
        #expect(result.latencies.count >= 2)
        let worst = result.latencies.max() ?? 0
        // Not held for the job: on a busy machine (CI runs tests in parallel on 2 cores) a GET may wait
        // for a core, never for the job's whole run.
        #expect(worst < max(250_000_000, result.took / 4), "a GET waited \(worst / 1_000_000) ms while the hash ran")
        server.stop()
    }

    @Test func aClientIsAnsweredWhileACompactionOfManyRevisionsRuns() throws {
        let server = try TestServer()
        // Long enough (about as long as the hash above) that a GET delayed by a busy core still leaves
        // room for others while it runs.
        for index in 0..<600_000 { try server.store.put("key-\(index % 1000)", "value-\(index)") }
        let revision = server.store.revision
        let result = try Self.measure(server, job: "COMPACT \(revision)")
        Self.report("compaction of 600k revisions", result)
        #expect(result.reply == "@job OK rev=\(revision) term=\(server.store.configuration.raftTerm) cluster=\(String(server.store.configuration.clusterID, radix: 16)) member=\(String(server.store.configuration.memberID, radix: 16))")
        #expect(server.store.compactedRevision == revision)
        // Answered while the job ran, not after it.
        #expect(result.latencies.count >= 2)
        let worst = result.latencies.max() ?? 0
        // Not held for the job: on a busy machine (CI runs tests in parallel on 2 cores) a GET may wait
        // for a core, never for the job's whole run.
        #expect(worst < max(250_000_000, result.took / 4), "a GET waited \(worst / 1_000_000) ms while the compaction ran")
        server.stop()
    }

    @Test func jobErrorsAreReplies() throws {
        let server = try TestServer()
        let raw = try server.raw()
        try raw.send("COMPACT 99\nHASH --rev=99\nPING\n")
        #expect(try raw.line().hasPrefix("ERR FUTURE_REV "))
        #expect(try raw.line().hasPrefix("ERR FUTURE_REV "))
        #expect(try raw.line() == "OK")
        server.stop()
    }
}
