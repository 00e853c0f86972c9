import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

private func makeStore(capacity: Int = 4) -> Store {
    Store(configuration: StoreConfiguration(clusterID: 7, memberID: 9, treeNodeCapacity: capacity))
}

struct StoreSemanticsTests {
    @Test func freshStoreIsAtRevisionOne() throws {
        let store = makeStore()
        #expect(store.revision == 1)
        let response = try store.range(RangeRequest(key: b("a")))
        #expect(response.kvs.isEmpty)
        #expect(response.header == ResponseHeader(clusterID: 7, memberID: 9, revision: 1, raftTerm: 2))
    }

    @Test func putTracksGenerationsAcrossDeletes() throws {
        let store = makeStore()
        try store.put("k", "v1")                 // 2
        try store.put("k", "v2")                 // 3
        #expect(try store.delete("k"))           // 4
        try store.put("k", "v3")                 // 5
        let kv = try #require(try store.get("k"))
        #expect(kv == KeyValue(key: b("k"), value: b("v3"), createRevision: 5, modRevision: 5, version: 1))
        let cases: [(revision: Int64, expected: KeyValue?)] = [
            (1, nil),
            (2, KeyValue(key: b("k"), value: b("v1"), createRevision: 2, modRevision: 2, version: 1)),
            (3, KeyValue(key: b("k"), value: b("v2"), createRevision: 2, modRevision: 3, version: 2)),
            (4, nil),
            (5, kv),
        ]
        for c in cases {
            let r = try store.range(RangeRequest(key: b("k"), revision: c.revision))
            #expect(r.kvs.first == c.expected, "at revision \(c.revision)")
            #expect(r.header.revision == 5, "header carries the current revision")
        }
    }

    @Test func emptyKeysAreRefused() {
        let store = makeStore()
        #expect(throws: StoreError.emptyKey) { try store.put("", "x") }
        #expect(throws: StoreError.emptyKey) { try store.range(RangeRequest(key: [])) }
        #expect(throws: StoreError.emptyKey) { try store.deleteRange(DeleteRangeRequest(key: [])) }
        #expect(throws: StoreError.emptyKey) {
            try store.txn(TxnRequest(compare: [Compare(key: [], result: .equal, target: .version(0))]))
        }
        #expect(StoreError.emptyKey.description == "etcdserver: key is not provided")
        #expect(store.revision == 1)
    }

    @Test func emptyValuesAreAllowed() throws {
        let store = makeStore()
        try store.put(b("k"), [])
        #expect(try store.get("k")?.value == [])
    }

    @Test func binaryKeysAndValuesRoundTrip() throws {
        let store = makeStore()
        let key: [UInt8] = [0, 0xff, 10, 13, 0x80]
        let value: [UInt8] = [0xfe, 0, 0, 1]
        try store.put(key, value)
        #expect(try store.get(key)?.value == value)
    }

    @Test func noOpDeleteDoesNotAdvanceRevision() throws {
        let store = makeStore()
        let response = try store.deleteRange(DeleteRangeRequest(key: b("missing")))
        #expect(response.deleted == 0)
        #expect(response.header.revision == 1)
        #expect(store.revision == 1)
    }

    @Test func deleteRangeWithPrevKVs() throws {
        let store = makeStore()
        for k in ["a", "b", "c", "d"] { try store.put(k, k.uppercased()) }
        let response = try store.deleteRange(DeleteRangeRequest(key: b("b"), rangeEnd: b("d"), prevKV: true))
        #expect(response.deleted == 2)
        #expect(response.prevKVs.map(\.valueString) == ["B", "C"])
        #expect(response.header.revision == 6)
        #expect(try store.get(prefix: "").map(\.keyString) == ["a", "d"])
    }

    @Test func rangeEndConventions() throws {
        let store = makeStore()
        for k in ["a", "ab", "abc", "b", "ba", "c", "\u{0}x"] { try store.put(k, "v") }
        let cases: [(key: [UInt8], end: [UInt8], expected: [String])] = [
            (b("ab"), [], ["ab"]),
            (b("a"), b("b"), ["a", "ab", "abc"]),
            (b("ab"), [0], ["ab", "abc", "b", "ba", "c"]),
            ([0], [0], ["\u{0}x", "a", "ab", "abc", "b", "ba", "c"]),
            (b("b"), b("a"), []),
            (b("a"), KeyRange.prefixRangeEnd(b("a")), ["a", "ab", "abc"]),
            (b("zz"), [0], []),
        ]
        for c in cases {
            let got = try store.range(RangeRequest(key: c.key, rangeEnd: c.end)).kvs.map(\.keyString)
            #expect(got == c.expected, "range \(c.key) … \(c.end)")
        }
        #expect(KeyRange.prefixRangeEnd([0x61, 0xff]) == [0x62])
        #expect(KeyRange.prefixRangeEnd([0xff, 0xff]) == [0])
    }

    @Test func limitCountMoreAndSorting() throws {
        let store = makeStore()
        // Keys in one order, versions and values in others.
        try store.put("k1", "c")
        try store.put("k2", "a")
        try store.put("k3", "b")
        try store.put("k1", "c2")
        let all = b("k")
        let end = KeyRange.prefixRangeEnd(all)
        struct Case { var limit: Int64; var order: SortOrder; var target: SortTarget; var keys: [String]; var more: Bool }
        let cases: [Case] = [
            Case(limit: 0, order: .none, target: .key, keys: ["k1", "k2", "k3"], more: false),
            Case(limit: 2, order: .none, target: .key, keys: ["k1", "k2"], more: true),
            Case(limit: 3, order: .none, target: .key, keys: ["k1", "k2", "k3"], more: false),
            Case(limit: 2, order: .descend, target: .key, keys: ["k3", "k2"], more: true),
            Case(limit: 0, order: .none, target: .value, keys: ["k2", "k3", "k1"], more: false),
            Case(limit: 0, order: .descend, target: .value, keys: ["k1", "k3", "k2"], more: false),
            Case(limit: 1, order: .descend, target: .mod, keys: ["k1"], more: true),
            Case(limit: 0, order: .ascend, target: .create, keys: ["k1", "k2", "k3"], more: false),
            Case(limit: 0, order: .descend, target: .version, keys: ["k1", "k2", "k3"], more: false),
        ]
        for c in cases {
            let r = try store.range(RangeRequest(key: all, rangeEnd: end, limit: c.limit, sortOrder: c.order, sortTarget: c.target))
            #expect(r.kvs.map(\.keyString) == c.keys, "limit \(c.limit) \(c.order) \(c.target)")
            #expect(r.more == c.more, "limit \(c.limit) \(c.order) \(c.target)")
            #expect(r.count == 3)
        }
        let countOnly = try store.range(RangeRequest(key: all, rangeEnd: end, countOnly: true))
        #expect(countOnly.kvs.isEmpty && countOnly.count == 3)
        let keysOnly = try store.range(RangeRequest(key: all, rangeEnd: end, keysOnly: true))
        #expect(keysOnly.kvs.allSatisfy { $0.value.isEmpty } && keysOnly.kvs.count == 3)
    }

    @Test func revisionFilters() throws {
        let store = makeStore()
        for k in ["a", "b", "c", "d"] { try store.put(k, "1") }   // 2, 3, 4, 5
        try store.put("a", "2")                                   // 6
        let cases: [(minMod: Int64, maxMod: Int64, minCreate: Int64, maxCreate: Int64, keys: [String])] = [
            (4, 0, 0, 0, ["a", "c", "d"]),
            (0, 4, 0, 0, ["b", "c"]),
            (0, 0, 3, 0, ["b", "c", "d"]),
            (0, 0, 0, 3, ["a", "b"]),
            (3, 5, 3, 4, ["b", "c"]),
        ]
        for c in cases {
            let r = try store.range(RangeRequest(key: [0], rangeEnd: [0], minModRevision: c.minMod, maxModRevision: c.maxMod,
                                                 minCreateRevision: c.minCreate, maxCreateRevision: c.maxCreate))
            #expect(r.kvs.map(\.keyString) == c.keys)
            #expect(r.count == 4, "count is taken before filtering")
        }
    }

    @Test func putOptionsAndTheirErrors() throws {
        let store = makeStore()
        #expect(throws: StoreError.keyNotFound) { try store.put(PutRequest(key: b("k"), value: [], ignoreValue: true)) }
        #expect(throws: StoreError.keyNotFound) { try store.put(PutRequest(key: b("k"), value: b("v"), ignoreLease: true)) }
        #expect(throws: StoreError.valueProvided) { try store.put(PutRequest(key: b("k"), value: b("v"), ignoreValue: true)) }
        #expect(throws: StoreError.leaseProvided) { try store.put(PutRequest(key: b("k"), value: b("v"), lease: 5, ignoreLease: true)) }
        #expect(throws: StoreError.leaseNotFound(id: 5)) { try store.put(PutRequest(key: b("k"), value: b("v"), lease: 5)) }
        #expect(store.revision == 1)
        try store.put("k", "v1")
        let r = try store.put(PutRequest(key: b("k"), value: [], prevKV: true, ignoreValue: true))
        #expect(r.prevKV?.valueString == "v1")
        #expect(r.header.revision == 3)
        let kv = try #require(try store.get("k"))
        #expect(kv.valueString == "v1" && kv.version == 2 && kv.modRevision == 3)
        #expect(try store.put(PutRequest(key: b("new"), value: b("x"), prevKV: true)).prevKV == nil)
    }

    @Test func compactionEdges() throws {
        let store = makeStore()
        try store.put("k", "1")   // 2
        try store.put("k", "2")   // 3
        try store.put("j", "1")   // 4
        #expect(try store.delete("j"))   // 5
        #expect(throws: StoreError.futureRevision(requested: 6, currentRevision: 5)) { try store.compact(6) }
        #expect(throws: StoreError.futureRevision(requested: 9, currentRevision: 5)) { try store.range(RangeRequest(key: b("k"), revision: 9)) }
        try store.compact(3)
        #expect(store.compactedRevision == 3)
        #expect(store.revision == 5, "compaction does not advance the revision")
        #expect(throws: StoreError.compacted(requested: 2, compactedRevision: 3)) { try store.range(RangeRequest(key: b("k"), revision: 2)) }
        #expect(try store.range(RangeRequest(key: b("k"), revision: 3)).kvs.first?.valueString == "2")
        #expect(throws: StoreError.compacted(requested: 3, compactedRevision: 3)) { try store.compact(3) }
        #expect(throws: StoreError.compacted(requested: 2, compactedRevision: 3)) { try store.compact(2) }
        #expect(StoreError.compacted(requested: 2, compactedRevision: 3).description == "etcdserver: mvcc: required revision has been compacted")
        #expect(try store.range(RangeRequest(key: b("j"), revision: 4)).kvs.first?.valueString == "1")
        try store.compact(5)
        // The deleted key is gone from the index entirely and memory is released.
        #expect(store.state.withLock { $0.index.count } == 1)
        #expect(try store.get("k")?.valueString == "2")
        #expect(store.state.withLock { $0.index.invariantViolations() }.isEmpty)
    }

    @Test func compactionFreesHistoryMemory() throws {
        let store = makeStore()
        let value = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<100 { try store.put(b("hot"), value) }
        let before = store.sizeInBytes
        try store.compact(store.revision)
        let after = store.sizeInBytes
        #expect(before > 100_000)
        #expect(after < 1200, "only the latest version stays: \(after) bytes")
    }
}

struct TxnSemanticsTests {
    @Test func comparesOnMissingKeys() throws {
        let store = makeStore()
        let cases: [(Compare.Target, Compare.Result, Bool)] = [
            (.version(0), .equal, true),
            (.createRevision(0), .equal, true),
            (.modRevision(0), .equal, true),
            (.lease(0), .equal, true),
            (.version(0), .greater, false),
            (.value(b("")), .equal, false),
            (.value(b("x")), .notEqual, false),
            (.value(b("")), .greater, false),
        ]
        for (target, result, expected) in cases {
            let r = try store.txn(TxnRequest(compare: [Compare(key: b("missing"), result: result, target: target)]))
            #expect(r.succeeded == expected, "\(target) \(result)")
        }
    }

    @Test func comparesOverARangeRequireEveryKey() throws {
        let store = makeStore()
        try store.put("r/a", "1")
        try store.put("r/b", "2")
        let end = KeyRange.prefixRangeEnd(b("r/"))
        let all1 = Compare(key: b("r/"), rangeEnd: end, result: .equal, target: .version(1))
        let lessThan2 = Compare(key: b("r/"), rangeEnd: end, result: .less, target: .value(b("2")))
        #expect(try store.txn(TxnRequest(compare: [all1])).succeeded)
        #expect(try !store.txn(TxnRequest(compare: [lessThan2])).succeeded)
    }

    @Test func branchesRunAtOneRevisionAndSeeTheirOwnWrites() throws {
        let store = makeStore()
        try store.put("c", "1")   // 2
        let txn = TxnRequest(
            compare: [Compare(key: b("c"), result: .equal, target: .value(b("1")))],
            success: [.put(PutRequest(key: b("a"), value: b("x"))),
                      .range(RangeRequest(key: b("a"))),
                      .put(PutRequest(key: b("b"), value: b("y"))),
                      .deleteRange(DeleteRangeRequest(key: b("c"), prevKV: true))],
            failure: [.put(PutRequest(key: b("f"), value: b("z")))])
        let r = try store.txn(txn)
        #expect(r.succeeded)
        #expect(r.header.revision == 3)
        #expect(store.revision == 3)
        guard case .range(let read) = r.responses[1] else { Issue.record("expected a range"); return }
        #expect(read.kvs.first?.valueString == "x")
        #expect(read.header.revision == 3)
        guard case .deleteRange(let del) = r.responses[3] else { Issue.record("expected a delete"); return }
        #expect(del.deleted == 1 && del.prevKVs.first?.valueString == "1")
        #expect(try store.get("a")?.modRevision == 3)
        #expect(try store.get("b")?.modRevision == 3)
        #expect(try store.get("f") == nil)
        // Failure branch now.
        let again = try store.txn(txn)
        #expect(!again.succeeded)
        #expect(try store.get("f")?.valueString == "z")
        #expect(store.revision == 4)
    }

    @Test func readOnlyOrEmptyTxnDoesNotAdvanceRevision() throws {
        let store = makeStore()
        try store.put("a", "1")
        #expect(try store.txn(TxnRequest()).succeeded)
        #expect(try store.txn(TxnRequest(success: [.range(RangeRequest(key: b("a")))])).header.revision == 2)
        #expect(try store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("zz")))])).header.revision == 2)
        #expect(store.revision == 2)
    }

    @Test func duplicateKeysAreRefused() throws {
        let store = makeStore()
        let put = { (k: String) in RequestOp.put(PutRequest(key: b(k), value: b("v"))) }
        let del = { (k: String, e: String) in RequestOp.deleteRange(DeleteRangeRequest(key: b(k), rangeEnd: b(e))) }
        let refused: [[RequestOp]] = [
            [put("a"), put("a")],
            [del("a", "c"), put("b")],
            [put("b"), del("a", "c")],
            [put("a"), .txn(TxnRequest(success: [put("a")]))],
            [del("a", "z"), .txn(TxnRequest(failure: [put("q")]))],
            [.deleteRange(DeleteRangeRequest(key: b("m"), rangeEnd: [0])), put("x")],
        ]
        for ops in refused {
            #expect(throws: StoreError.duplicateKey) { try store.txn(TxnRequest(success: ops)) }
            #expect(throws: StoreError.duplicateKey) { try store.txn(TxnRequest(failure: ops)) }
        }
        let allowed: [[RequestOp]] = [
            [.txn(TxnRequest(success: [put("a")], failure: [put("a")]))],
            [del("a", "c"), del("b", "d")],
            [put("a"), put("b")],
        ]
        for ops in allowed { _ = try store.txn(TxnRequest(success: ops)) }
        // The same key in different branches is fine.
        _ = try store.txn(TxnRequest(success: [put("k")], failure: [put("k")]))
        #expect(StoreError.duplicateKey.description == "etcdserver: duplicate key given in txn request")
    }

    @Test func tooManyOperations() throws {
        let store = Store(configuration: StoreConfiguration(maxTxnOps: 3))
        let puts = (0..<4).map { RequestOp.put(PutRequest(key: b("k\($0)"), value: [])) }
        #expect(throws: StoreError.tooManyOperations(count: 4, limit: 3)) { try store.txn(TxnRequest(success: puts)) }
        _ = try store.txn(TxnRequest(success: Array(puts.prefix(3))))
        // A nested txn gets only what its parent leaves.
        let nested = RequestOp.txn(TxnRequest(success: Array(puts.prefix(2))))
        #expect(throws: StoreError.tooManyOperations(count: 2, limit: 1)) {
            try store.txn(TxnRequest(success: [nested, .range(RangeRequest(key: b("x")))]))
        }
        #expect(StoreError.tooManyOperations(count: 4, limit: 3).description == "etcdserver: too many operations in txn request")
    }

    @Test func failingOperationLeavesNothingApplied() throws {
        let store = makeStore()
        try store.put("a", "1")
        let txn = TxnRequest(success: [.put(PutRequest(key: b("b"), value: b("2"))),
                                       .put(PutRequest(key: b("missing"), value: [], ignoreValue: true))])
        #expect(throws: StoreError.keyNotFound) { try store.txn(txn) }
        let badRead = TxnRequest(success: [.put(PutRequest(key: b("b"), value: b("2"))),
                                           .range(RangeRequest(key: b("a"), revision: 99))])
        #expect(throws: StoreError.futureRevision(requested: 99, currentRevision: 2)) { try store.txn(badRead) }
        #expect(try store.get("b") == nil)
        #expect(store.revision == 2)
    }

    @Test func nestedTxnComparesSeeTheStateBeforeTheTxn() throws {
        let store = makeStore()
        let inner = TxnRequest(compare: [Compare(key: b("a"), result: .equal, target: .version(0))],
                               success: [.put(PutRequest(key: b("saw-missing"), value: []))],
                               failure: [.put(PutRequest(key: b("saw-present"), value: []))])
        let r = try store.txn(TxnRequest(success: [.put(PutRequest(key: b("a"), value: b("1"))), .txn(inner)]))
        guard case .txn(let nested) = r.responses[1] else { Issue.record("expected a nested txn"); return }
        #expect(nested.succeeded)
        #expect(try store.get("saw-missing") != nil)
        #expect(store.revision == 2)
    }
}
