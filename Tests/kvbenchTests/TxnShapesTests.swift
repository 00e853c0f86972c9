import KVProtocol
import Testing
@testable import KVBenchCore

@Suite struct TxnShapesTests {
    @Test func deepNestingHasTheAskedDepth() {
        var random = SplitMix64(seed: 2)
        for depth in [64, 5_000] {
            let (bytes, _) = TxnShapes.deepNesting(depth: depth, &random)
            #expect(KnownCrashes.txnWords(in: bytes.dropLast()) == depth)
        }
    }

    /// Op-count shapes decode (when shallow) and sit at the limit's edges.
    @Test func opCountEdgesDecode() throws {
        var random = SplitMix64(seed: 4)
        var counts: Set<Int> = []
        for _ in 0..<100 {
            let (bytes, _) = TxnShapes.opCountEdge(limit: 16, &random)
            let decoded = try #require(try RequestDecoder.decode(Array(bytes.dropLast())))
            guard case .txn(let txn) = decoded.request else { Issue.record("not a TXN"); continue }
            counts.insert(txn.compare.count + txn.success.count + txn.failure.count)
        }
        #expect(counts.contains(15) && counts.contains(16) && counts.contains(17))
    }
}
