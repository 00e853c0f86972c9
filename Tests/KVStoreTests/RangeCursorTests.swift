import Testing
@testable import KVStore
import TestSupport

/// `RangeCursor` must give, in whatever steps it is driven, exactly what `Store.range` gave at the
/// moment the cursor was made — even after later writes, deletes and compactions.
@Suite struct RangeCursorTests {
    /// Drives a cursor to the end in steps of random sizes.
    static func drain(_ cursor: RangeCursor, using generator: inout SeededGenerator) -> RangeResponse {
        var steps = 0
        while !cursor.plan(maxKeys: Int.random(in: 1...7, using: &generator)) {
            steps += 1
            precondition(steps < 1_000_000, "plan does not finish")
        }
        var kvs: [KeyValue] = []
        while !cursor.emit(maxKeys: Int.random(in: 1...5, using: &generator), { kv in
            kvs.append(kv)
            return Int.random(in: 0..<3, using: &generator) != 0
        }) {
            steps += 1
            precondition(steps < 1_000_000, "emit does not finish")
        }
        #expect(kvs.count == cursor.kvsCount)
        return RangeResponse(header: cursor.header, kvs: kvs, more: cursor.more, count: cursor.count)
    }

    static func key(_ generator: inout SeededGenerator) -> [UInt8] {
        let letters: [UInt8] = Array("abcde".utf8)
        return (0..<Int.random(in: 1...4, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
    }

    static func randomRequest(_ generator: inout SeededGenerator, revision: Int64, compacted: Int64) -> RangeRequest {
        var request = RangeRequest(key: key(&generator))
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: break
        case 1: request.rangeEnd = key(&generator)
        case 2: request.rangeEnd = [0]
        default: request.rangeEnd = KeyRange.prefixRangeEnd(request.key)
        }
        if Bool.random(using: &generator) { request.key = [0]; request.rangeEnd = [0] }
        if Bool.random(using: &generator) { request.limit = Int64.random(in: 0...6, using: &generator) }
        if Int.random(in: 0..<3, using: &generator) == 0 {
            request.limit = [Int64.max, Int64(Int32.max), 1 << 32].randomElement(using: &generator)!
        }
        if Bool.random(using: &generator) { request.revision = Int64.random(in: max(1, compacted)...revision, using: &generator) }
        request.sortOrder = [.none, .ascend, .descend].randomElement(using: &generator)!
        request.sortTarget = [.key, .version, .create, .mod, .value].randomElement(using: &generator)!
        request.keysOnly = Int.random(in: 0..<4, using: &generator) == 0
        request.countOnly = Int.random(in: 0..<6, using: &generator) == 0
        if Int.random(in: 0..<3, using: &generator) == 0 {
            request.minModRevision = Int64.random(in: 0...revision, using: &generator)
            request.maxCreateRevision = Int64.random(in: 0...revision, using: &generator)
        }
        return request
    }

    static func mutate(_ store: Store, _ generator: inout SeededGenerator) throws {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<6:
            try store.put(PutRequest(key: key(&generator), value: Array(repeating: UInt8.random(in: 97...122, using: &generator),
                                                                        count: Int.random(in: 0...5, using: &generator))))
        case 6..<9:
            _ = try store.deleteRange(DeleteRangeRequest(key: key(&generator)))
        default:
            if store.revision > 3 { _ = try? store.compact(CompactionRequest(revision: store.revision - 2)) }
        }
    }

    @Test func stepwiseResultsEqualTheWholeRead() throws {
        let seed: UInt64 = 0x5eed_c0de
        print("RangeCursor seed: \(String(seed, radix: 16))")
        var generator = SeededGenerator(seed: seed)
        let store = Store()
        for _ in 0..<1500 { try Self.mutate(store, &generator) }
        for round in 0..<800 {
            let request = Self.randomRequest(&generator, revision: store.revision, compacted: store.compactedRevision)
            let expected = try store.range(request)
            let cursor = try store.rangeCursor(request)
            // Small results are kept while planning; keep fewer so the second walk is tested as much.
            if Bool.random(using: &generator) { cursor.earlyLimit = Int.random(in: 0...2, using: &generator) }
            // Writes after the cursor was made must not show in it.
            for _ in 0..<Int.random(in: 0...4, using: &generator) { try Self.mutate(store, &generator) }
            let streamed = Self.drain(cursor, using: &generator)
            #expect(streamed == expected, "round \(round): \(request)")
        }
    }

    @Test func errorsAreTheRangeErrors() throws {
        let store = Store()
        try store.put("a", "1")
        try store.put("a", "2")
        _ = try store.compact(CompactionRequest(revision: 2))
        #expect(throws: StoreError.emptyKey) { try store.rangeCursor(RangeRequest(key: [])) }
        #expect(throws: StoreError.futureRevision(requested: 9, currentRevision: 3)) {
            try store.rangeCursor(RangeRequest(key: Array("a".utf8), revision: 9))
        }
        #expect(throws: StoreError.compacted(requested: 1, compactedRevision: 2)) {
            try store.rangeCursor(RangeRequest(key: Array("a".utf8), revision: 1))
        }
    }

    /// Each read of a transaction sees the branch's earlier writes and not its later ones, whether its
    /// result is collected at once or produced after further writes to the store.
    @Test func deferredTransactionReadsSeeTheirOwnPointInTheBranch() throws {
        var generator = SeededGenerator(seed: 0x7a11)
        let a = Store(), b = Store()
        for store in [a, b] {
            try store.put("k1", "old")
            try store.put("k2", "x")
        }
        let k1 = Array("k1".utf8)
        let txn = TxnRequest(success: [
            .range(RangeRequest(key: Array("k".utf8), rangeEnd: Array("l".utf8))),
            .put(PutRequest(key: k1, value: Array("new".utf8))),
            .range(RangeRequest(key: Array("k".utf8), rangeEnd: Array("l".utf8))),
            .deleteRange(DeleteRangeRequest(key: Array("k2".utf8))),
            .range(RangeRequest(key: Array("k".utf8), rangeEnd: Array("l".utf8), sortOrder: .descend)),
            .txn(TxnRequest(success: [.range(RangeRequest(key: [0], rangeEnd: [0]))])),
        ])
        let expected = try a.txn(txn)
        let deferred = try b.txnDeferringReads(txn)
        try b.put("k1", "later")
        try b.put("k3", "later")
        _ = try b.compact(CompactionRequest(revision: b.revision))
        // Drive every cursor in small steps, then compare with the collected response.
        func drained(_ response: DeferredTxnResponse) -> TxnResponse {
            TxnResponse(header: response.header, succeeded: response.succeeded, responses: response.responses.map { op in
                switch op {
                case .range(let cursor): .range(Self.drain(cursor, using: &generator))
                case .txn(let inner): .txn(drained(inner))
                default: op.resolved()
                }
            })
        }
        let streamed = drained(deferred)
        #expect(streamed == expected)
        func values(_ op: ResponseOp) -> [String]? {
            if case .range(let read) = op { return read.kvs.map(\.valueString) }
            return nil
        }
        try #require(expected.responses.count == 6)
        #expect(values(expected.responses[0]) == ["old", "x"])
        #expect(values(expected.responses[2]) == ["new", "x"])
        #expect(values(expected.responses[4]) == ["new"])
    }
}
