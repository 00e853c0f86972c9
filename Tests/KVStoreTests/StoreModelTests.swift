import Testing
@testable import KVStore
import TestSupport

/// A deliberately naive reference: the full write log, replayed from the start for every question.
private struct ReferenceStore {
    struct Write { var revision: Int64; var key: [UInt8]; var value: [UInt8]? }

    var revision: Int64 = 1
    var compacted: Int64 = 0
    var log: [Write] = []

    func state(at revision: Int64) -> [[UInt8]: KeyValue] {
        var state: [[UInt8]: KeyValue] = [:]
        for write in log where write.revision <= revision {
            if let value = write.value {
                if var kv = state[write.key] {
                    kv.value = value
                    kv.modRevision = write.revision
                    kv.version += 1
                    state[write.key] = kv
                } else {
                    state[write.key] = KeyValue(key: write.key, value: value, createRevision: write.revision,
                                                modRevision: write.revision, version: 1)
                }
            } else {
                state[write.key] = nil
            }
        }
        return state
    }

    func range(_ r: RangeRequest) throws(StoreError) -> RangeResponse {
        if r.revision > revision { throw .futureRevision(requested: r.revision, currentRevision: revision) }
        let at = r.revision <= 0 ? revision : r.revision
        if at < compacted { throw .compacted(requested: at, compactedRevision: compacted) }
        let range = KeyRange(key: r.key, rangeEnd: r.rangeEnd)
        var kvs = state(at: at).values.filter { range.contains($0.key) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let count = Int64(kvs.count)
        if r.countOnly { return RangeResponse(header: ResponseHeader(revision: revision), kvs: [], more: false, count: count) }
        switch (r.sortTarget, r.sortOrder) {
        case (.key, .descend): kvs.reverse()
        case (.key, _): break
        case (.version, let order):
            kvs = stableSorted(kvs, descending: order == .descend) { $0.version < $1.version }
        case (.create, let order):
            kvs = stableSorted(kvs, descending: order == .descend) { $0.createRevision < $1.createRevision }
        case (.mod, let order):
            kvs = stableSorted(kvs, descending: order == .descend) { $0.modRevision < $1.modRevision }
        case (.value, let order):
            kvs = stableSorted(kvs, descending: order == .descend) { $0.value.lexicographicallyPrecedes($1.value) }
        }
        var more = false
        if r.limit > 0, kvs.count > r.limit { kvs = Array(kvs.prefix(Int(r.limit))); more = true }
        if r.keysOnly { kvs = kvs.map { var kv = $0; kv.value = []; return kv } }
        return RangeResponse(header: ResponseHeader(revision: revision), kvs: kvs, more: more, count: count)
    }

    private func stableSorted(_ kvs: [KeyValue], descending: Bool, _ less: (KeyValue, KeyValue) -> Bool) -> [KeyValue] {
        let indexed = Array(kvs.enumerated())
        return indexed.sorted { a, b in
            let (x, y) = descending ? (b.element, a.element) : (a.element, b.element)
            if less(x, y) { return true }
            if less(y, x) { return false }
            return a.offset < b.offset
        }.map(\.element)
    }

    mutating func put(_ key: [UInt8], _ value: [UInt8], at revision: Int64) { log.append(Write(revision: revision, key: key, value: value)) }

    mutating func delete(_ range: KeyRange, at revision: Int64, current: Int64) -> Int {
        let doomed = state(at: current).keys.filter { range.contains($0) }
        for key in doomed { log.append(Write(revision: revision, key: key, value: nil)) }
        return doomed.count
    }
}

struct StoreModelTests {
    private static let alphabet: [[UInt8]] = ["a", "ab", "abc", "b", "ba", "c", "d", "\u{0}", "z\u{ff}"].map { Array($0.utf8) } + [[0xff], [0xff, 0xff]]

    private func randomKey(_ rng: inout SeededGenerator) -> [UInt8] { Self.alphabet.randomElement(using: &rng)! }

    private func randomRange(_ rng: inout SeededGenerator) -> (key: [UInt8], end: [UInt8]) {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return (randomKey(&rng), [])
        case 1: return (randomKey(&rng), [0])
        case 2: return ([0], [0])
        default: return (randomKey(&rng), randomKey(&rng))
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOperationsMatchTheReference(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let store = Store(configuration: StoreConfiguration(treeNodeCapacity: Int(seed % 3) + 4))
        var model = ReferenceStore()
        for step in 0..<1500 {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<35:
                let key = randomKey(&rng)
                let value = Array("v\(step)".utf8)
                let response = try store.put(PutRequest(key: key, value: value, prevKV: true))
                let previous = model.state(at: model.revision)[key]
                model.revision += 1
                model.put(key, value, at: model.revision)
                #expect(response.prevKV == previous, "\(context)")
                #expect(response.header.revision == model.revision, "\(context)")
            case 35..<45:
                let (key, end) = randomRange(&rng)
                let response = try store.deleteRange(DeleteRangeRequest(key: key, rangeEnd: end))
                let deleted = model.delete(KeyRange(key: key, rangeEnd: end), at: model.revision + 1, current: model.revision)
                if deleted > 0 { model.revision += 1 }
                #expect(response.deleted == Int64(deleted), "\(context)")
                #expect(response.header.revision == model.revision, "\(context)")
            case 45..<80:
                let (key, end) = randomRange(&rng)
                let revision = Int64.random(in: -1...(model.revision + 1), using: &rng)
                let request = RangeRequest(key: key, rangeEnd: end, limit: Int64.random(in: 0...3, using: &rng),
                                           revision: revision,
                                           sortOrder: SortOrder(rawValue: Int.random(in: 0...2, using: &rng))!,
                                           sortTarget: SortTarget(rawValue: Int.random(in: 0...4, using: &rng))!,
                                           keysOnly: Int.random(in: 0..<5, using: &rng) == 0,
                                           countOnly: Int.random(in: 0..<8, using: &rng) == 0)
                let expected = Result { () throws(StoreError) in try model.range(request) }
                let actual = Result { () throws(StoreError) in try store.range(request) }
                switch (actual, expected) {
                case (.success(let a), .success(let e)):
                    #expect(a.kvs == e.kvs, "\(context) \(request)")
                    #expect(a.more == e.more && a.count == e.count, "\(context)")
                    #expect(a.header.revision == e.header.revision, "\(context)")
                case (.failure(let a), .failure(let e)):
                    #expect(a == e, "\(context)")
                default:
                    Issue.record("\(context): store \(actual) but reference \(expected)")
                }
            case 80..<95:
                // A txn: compare one key's version, then puts and a read in the taken branch.
                let compareKey = randomKey(&rng)
                let version = Int64.random(in: 0...2, using: &rng)
                let current = model.state(at: model.revision)
                let holds = (current[compareKey]?.version ?? 0) == version
                let keys = Array(Set((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomKey(&rng) }))
                let readKey = randomKey(&rng)
                var ops = keys.map { RequestOp.put(PutRequest(key: $0, value: Array("t\(step)".utf8))) }
                ops.append(.range(RangeRequest(key: readKey)))
                let request = TxnRequest(compare: [Compare(key: compareKey, result: .equal, target: .version(version))],
                                         success: holds ? ops : [], failure: holds ? [] : ops)
                let response = try store.txn(request)
                #expect(response.succeeded == holds, "\(context)")
                if !keys.isEmpty {
                    model.revision += 1
                    for key in keys { model.put(key, Array("t\(step)".utf8), at: model.revision) }
                }
                #expect(response.header.revision == model.revision, "\(context)")
                if case .range(let read) = response.responses.last {
                    #expect(read.kvs.first == model.state(at: model.revision)[readKey], "\(context) read in txn")
                } else {
                    Issue.record("\(context): txn lacks its read")
                }
            default:
                let revision = Int64.random(in: 0...(model.revision + 1), using: &rng)
                let result = Result { () throws(StoreError) in try store.compact(revision) }
                if revision > model.revision {
                    #expect(throws: StoreError.futureRevision(requested: revision, currentRevision: model.revision)) { try result.get() }
                } else if revision <= model.compacted {
                    #expect(throws: StoreError.compacted(requested: revision, compactedRevision: model.compacted)) { try result.get() }
                } else {
                    #expect(throws: Never.self) { try result.get() }
                    model.compacted = revision
                }
            }
            #expect(store.revision == model.revision, "\(context)")
            if step % 100 == 0 {
                #expect(store.state.withLock { $0.index.invariantViolations() }.isEmpty, "\(context)")
            }
        }
    }
}
