import Testing
@testable import KVStore
import TestSupport

/// The change log gives a catching-up watcher exactly the changes the key index's histories hold, at a
/// cost of the changes made since, not of the keys in the watched range.
@Suite struct ChangeLogTests {
    /// Reads every change of `range` in `from...to` by repeated calls, as a watcher catching up does.
    static func all(_ range: KeyRange, from: Int64, to: Int64, limit: Int, view: ReadView) -> [Change] {
        var result: [Change] = []
        var next = from
        var calls = 0
        while next <= to {
            let (changes, covered, _) = HistoryScan.changes(in: range, from: next, to: to, limit: limit, view: view)
            result += changes
            precondition(covered >= next || changes.isEmpty && covered == to, "no progress")
            next = covered + 1
            calls += 1
            precondition(calls < 100_000)
        }
        return result
    }

    static func same(_ a: [Change], _ b: [Change]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.record === $1.record && $0.previous === $1.previous }
    }

    static func key(_ generator: inout SeededGenerator) -> [UInt8] {
        let letters: [UInt8] = Array("abc".utf8)
        return (0..<Int.random(in: 1...3, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
    }

    @Test func logAndIndexHoldTheSameChanges() throws {
        let seed: UInt64 = 0xc4a9_6e10
        print("ChangeLog seed: \(String(seed, radix: 16))")
        var generator = SeededGenerator(seed: seed)
        let store = Store()
        for _ in 0..<1200 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                try store.put(PutRequest(key: Self.key(&generator), value: [UInt8.random(in: 97...99, using: &generator)]))
            case 5..<7:
                _ = try store.deleteRange(DeleteRangeRequest(key: Self.key(&generator), rangeEnd: Self.key(&generator)))
            case 7..<9:
                // Several changes in one revision.
                let keys = Set((0..<3).map { _ in Self.key(&generator) })
                _ = try store.txn(TxnRequest(success: keys.map { .put(PutRequest(key: $0, value: Array("t".utf8))) }))
            default:
                if store.revision > 20, Bool.random(using: &generator) {
                    _ = try? store.compact(CompactionRequest(revision: store.revision - Int64.random(in: 1...20, using: &generator)))
                }
            }
        }
        let view = store.state.withLock { $0.viewWithChanges }
        let log = try #require(view.changeLog)
        let indexOnly = ReadView(index: view.index, currentRevision: view.currentRevision,
                                 compactedRevision: view.compactedRevision)
        for _ in 0..<400 {
            var range = KeyRange(key: Self.key(&generator), rangeEnd: Self.key(&generator))
            if Bool.random(using: &generator) { range = .fromKey([0]) }
            if case .single = range { range = .halfOpen(from: Array("a".utf8), to: Array("c".utf8)) }
            let from = Int64.random(in: max(view.compactedRevision + 1, log.floor + 1)...view.currentRevision, using: &generator)
            let to = Int64.random(in: from...view.currentRevision, using: &generator)
            let limit = Int.random(in: 1...30, using: &generator)
            let fromLog = Self.all(range, from: from, to: to, limit: limit, view: view)
            let fromIndex = Self.all(range, from: from, to: to, limit: limit, view: indexOnly)
            #expect(Self.same(fromLog, fromIndex), "\(range) \(from)...\(to) limit \(limit): \(fromLog.count) vs \(fromIndex.count)")
        }
    }

    /// The case: a watcher of a prefix holding many keys falls behind while 10 keys change; it
    /// catches up by reading those 10 changes.
    @Test func catchingUpCostsTheChangesMissedNotTheKeysWatched() throws {
        let store = Store()
        for index in 0..<50_000 { try store.put("big/\(index)", "v") }
        let behind = store.revision
        for index in 0..<10 { try store.put("big/\(index * 1000)", "changed") }
        let view = store.state.withLock { $0.viewWithChanges }
        let range = KeyRange.prefix(Array("big/".utf8))
        let (changes, covered, visited) = HistoryScan.changes(in: range, from: behind + 1, to: view.currentRevision,
                                                              limit: 1000, view: view)
        #expect(changes.count == 10 && covered == view.currentRevision)
        #expect(visited == 10)
        // Without the log (history older than a restore), the index walk visits every key of the range.
        let indexOnly = ReadView(index: view.index, currentRevision: view.currentRevision, compactedRevision: 0)
        #expect(HistoryScan.changes(in: range, from: behind + 1, to: view.currentRevision, limit: 1000, view: indexOnly).visited == 50_000)
    }

    /// A scan of the log stops at a revision boundary once it visited its budget, even if nothing matched.
    @Test func aScanThatFindsNothingIsStillBounded() throws {
        let store = Store()
        for index in 0..<5_000 { try store.put("other/\(index)", "v") }
        let view = store.state.withLock { $0.viewWithChanges }
        let (changes, covered, visited) = HistoryScan.changes(in: .prefix(Array("watched/".utf8)), from: 2,
                                                              to: view.currentRevision, limit: 10, view: view)
        #expect(changes.isEmpty)
        #expect(visited == 10 * HistoryScan.visitFactor)
        #expect(covered == 1 + Int64(visited))
    }

    @Test func compactionDropsWholeChunksAndRaisesTheFloor() throws {
        let store = Store()
        for index in 0..<1000 { try store.put("k\(index % 7)", "\(index)") }
        _ = try store.compact(CompactionRequest(revision: 600))
        let log = try #require(store.state.withLock { $0.viewWithChanges }.changeLog)
        #expect(log.floor == 600)
        #expect(log.count <= 1000 - 599 + ChangeLog.chunkSize)
        #expect(!log.covers(from: 600) && log.covers(from: 601))
        // A restored store's log starts at the snapshot's revision.
        let restored = try Store.restore(from: source(try save(store)))
        #expect(try #require(restored.state.withLock { $0.viewWithChanges }.changeLog).floor == store.revision)
    }
}
