import KVStore
import Testing
@testable import KVServer

@Suite struct AutoCompactorTests {
    private func state() -> ServerState {
        ServerState(config: ServerConfig(), clock: ManualClock(), logger: Logger(level: .error, fd: -1))
    }

    @Test func revisionModeKeepsTheLastRevisions() throws {
        let state = state()
        for index in 0..<10 { _ = try state.store.put("k", "\(index)") }   // revisions 2...11
        let compactor = AutoCompactor(mode: .revision, retention: 3, state: state)
        compactor.tick()
        #expect(state.store.compactedRevision == 8)
        compactor.tick()
        #expect(state.store.compactedRevision == 8, "nothing new to compact")
    }

    @Test func periodicModeCompactsToTheRevisionOfOneRetentionAgo() throws {
        let state = state()
        let second: UInt64 = 1_000_000_000
        let compactor = AutoCompactor(mode: .periodic, retention: 10 * Int64(second), state: state)
        #expect(compactor.interval == second)
        var now = 100 * second
        for _ in 0..<5 {
            _ = try state.store.put("k", "v")
            compactor.tick(now: now)
            now += 5 * second
        }
        // Samples at t=100 (rev 2), 105 (3), 110 (4), 115 (5), 120 (6): at t=120 the newest sample at
        // least 10 s old is t=110, revision 4.
        #expect(state.store.compactedRevision == 4)
    }
}
