import Glibc
import KVBenchCore
import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// The protocol fuzzer (KVBenchCore's `LineFuzzer` over `LineTransport`, driven by `FuzzDriver`) against
/// a server on a loopback port: mutated requests of every command over four connections, and after
/// every batch a healthy client on its own connection must still be answered.
///
/// Bounded and seeded by default (a few thousand cases, a few seconds on a debug build). Run longer or
/// replay a seed with, e.g., `KV_FUZZ_CASES=1000000 KV_FUZZ_SEED=12345 swift test --filter ProtocolFuzzTests`.
///
/// Cases that hit the crashes listed in `KnownCrashes.lineProtocol` are skipped (and counted) until their
/// fixes merge; remove each entry from that list as its fix lands, and these tests then cover it again.
@Suite struct ProtocolFuzzTests {
    static let defaultSeed: UInt64 = 0xF022_5EED

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static var cases: Int { environment("KV_FUZZ_CASES").flatMap { Int($0) } ?? 4_000 }

    static var seed: UInt64 {
        guard let text = environment("KV_FUZZ_SEED") else { return defaultSeed }
        return (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)) ?? defaultSeed
    }

    /// Small limits, so that long lines and op-count edges are cheap to reach on a debug build.
    static let limits = FuzzLimits(maxRequestBytes: 4096, maxTxnOps: 32)

    static func server() throws -> TestServer {
        try TestServer {
            $0.maxRequestBytes = limits.maxRequestBytes
            $0.maxTxnOps = limits.maxTxnOps
            $0.passwordHashIterations = 1
            $0.authFailureDelay = 1_000_000
        }
    }

    static func run(_ server: TestServer, mode: FuzzMode, seed: UInt64, cases: Int) -> FuzzReport {
        let source = LineFuzzer(seed: seed, mode: mode, limits: limits, knownCrashes: KnownCrashes.lineProtocol)
        let transport = LineTransport(endpoint: server.endpoint, mode: mode, probeTimeout: 10, nonce: seed)
        var configuration = FuzzConfiguration(seed: seed, cases: cases)
        configuration.syncTimeout = 20
        configuration.housekeepingEvery = 20
        let report = FuzzDriver(configuration, source: source, transport: transport).run()
        print(report.figures(prefix: "protocol_fuzz").joined(separator: "\n"))
        print("protocol_fuzz.mutations: " + report.mutations.map { "\($0.name)=\($0.count)" }.joined(separator: " "))
        return report
    }

    @Test func fuzzedRequestsNeverStopTheServer() throws {
        let (seed, cases) = (Self.seed, Self.cases)
        print("protocol fuzz: seed \(seed), \(cases) cases (KV_FUZZ_SEED, KV_FUZZ_CASES)")
        let server = try Self.server()
        let client = try server.client()
        for key in ["a", "foo", "foo/bar", "k1"] { _ = try client.call(.put(PutRequest(key: Array(key.utf8), value: Array("v".utf8)))) }

        let report = Self.run(server, mode: .standard, seed: seed, cases: cases)

        if let failure = report.failure { Issue.record("\(failure)") }
        #expect(report.casesSent == cases)
        let batches = (cases + 63) / 64
        #expect(report.batches == batches && report.probes == batches, "the healthy client was answered after every batch")
        #expect(report.health.count == UInt64(2 * batches))
        if cases >= 3_000 {
            #expect(report.disconnects > 0, "partial lines were followed by disconnects")
            // Every mutation kind was sent (the known-crash shapes too, below the depths that crash).
            let sent = Set(report.mutations.map(\.name))
            for mutation in LineMutation.allCases {
                #expect(sent.contains(mutation.rawValue), "\(mutation) never sent")
            }
        }
        // A regular client still gets served, with auth still off.
        guard case .auth(_, let status) = try client.call(.auth(.status)) else { Issue.record("AUTH-STATUS"); return }
        #expect(!status.enabled)
        _ = try client.call(.ping)
        server.stop()
    }

    /// In auth mode the fuzzer adds root and enables auth, fuzzes with and without logins, and turns auth
    /// off again at the end.
    @Test func authModeLeavesAuthDisabled() throws {
        let seed = Self.seed &+ 1
        let cases = max(Self.cases / 5, 64)
        print("protocol fuzz (auth mode): seed \(seed), \(cases) cases")
        let server = try Self.server()

        let report = Self.run(server, mode: .auth(rootPassword: "fuzz-root"), seed: seed, cases: cases)

        if let failure = report.failure { Issue.record("\(failure)") }
        #expect(report.probes == (cases + 63) / 64)
        let client = try server.client()
        guard case .auth(_, let status) = try client.call(.auth(.status)) else { Issue.record("AUTH-STATUS"); return }
        #expect(!status.enabled)
        _ = try client.call(.range(RangeRequest(key: Array("a".utf8))))
        server.stop()
    }
}
