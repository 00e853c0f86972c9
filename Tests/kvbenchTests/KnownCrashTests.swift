import Testing
@testable import KVBenchCore

@Suite struct KnownCrashTests {
    @Test func reproducersAreRecognised() {
        let watch = Array("WATCH a --watch-id=9223372036854775807".utf8)
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: watch)?.name == "watchIDNearInt64Max")
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: Array("@t watch a --WATCH-ID=09223372036854775806\r\n".utf8)) != nil)
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: Array("WATCH a --watch-id=4611686018427387904".utf8)) == nil)

        var random = SplitMix64(seed: 1)
        let deep = TxnShapes.deepNesting(depth: 20_000, &random).bytes
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: deep)?.name == "deepTxnNesting")
        let shallow = TxnShapes.deepNesting(depth: 200, &random).bytes
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: shallow) == nil)

        let amplifying = Array(("TXN THEN" + String(repeating: " GET \"\" --prefix", count: 100) + " END\n").utf8)
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: amplifying)?.name == "txnReplyAmplification")
        let pointReads = Array(("TXN THEN" + String(repeating: " GET a", count: 100) + " END\n").utf8)
        #expect(KnownCrash.first(in: KnownCrashes.lineProtocol, hitBy: pointReads) == nil)
    }

    /// With a list, a fuzzer never yields a case that hits a listed crash, and counts what it skipped.
    @Test func listedCrashesAreSkipped() {
        let puts = KnownCrash(name: "everyPut", reproducer: "PUT a b") { line in line.verb == "PUT" }
        let list = [puts] + KnownCrashes.lineProtocol
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
