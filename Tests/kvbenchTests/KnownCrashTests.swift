import Testing
@testable import KVBenchCore

@Suite struct KnownCrashTests {
    /// The crashes this fuzzer found are fixed: nothing is skipped any more.
    @Test func noKnownCrashIsLeft() {
        #expect(KnownCrashes.lineProtocol.isEmpty)
    }

    /// With a list, a fuzzer never yields a case that hits a listed crash, and counts what it skipped.
    @Test func listedCrashesAreSkipped() {
        let puts = KnownCrash(name: "everyPut", reproducer: "PUT a b") { line in line.verb == "PUT" }
        let deep = KnownCrash(name: "deepTxnNesting", reproducer: "TXN THEN TXN THEN … END END") { line in line.txnWords > 1_000 }
        let list = [puts, deep]
        var fuzzer = LineFuzzer(seed: 21, limits: FuzzLimits(maxRequestBytes: 4096, maxTxnOps: 16), knownCrashes: list)
        for _ in 0..<1_500 {
            #expect(KnownCrash.first(in: list, hitBy: fuzzer.next().bytes) == nil)
        }
        let skipped = Dictionary(uniqueKeysWithValues: fuzzer.skipped.map { ($0.reason, $0.count) })
        #expect(fuzzer.skipped.map(\.reason) == list.map(\.name))
        #expect(skipped["everyPut", default: 0] > 100)
        #expect(skipped["deepTxnNesting", default: 0] > 0)
    }
}
