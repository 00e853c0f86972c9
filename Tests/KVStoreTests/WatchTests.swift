import Dispatch
import Synchronization
import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Drains a watcher (bounded), returning every response.
private func drain(_ watcher: Watcher, maxEvents: Int = 1000) -> [WatchResponse] {
    var all: [WatchResponse] = []
    for _ in 0..<10_000 {
        let batch = watcher.poll(maxEvents: maxEvents)
        if batch.isEmpty { break }
        all += batch
    }
    return all
}

private final class Flag: Sendable {
    let count = Atomic<Int>(0)
}

struct WatchTests {
    @Test func createdThenLiveEventsOneResponsePerRevision() throws {
        let store = Store()
        let ready = Flag()
        let watcher = try store.watch(WatchRequest(.prefix(b("w/")), prevKV: true)) { ready.count.add(1, ordering: .relaxed) }
        #expect(ready.count.load(ordering: .relaxed) == 1, "created is ready at once")
        try store.put("w/a", "1")
        try store.put("x", "ignored")
        _ = try store.txn(TxnRequest(success: [.put(PutRequest(key: b("w/b"), value: b("2"))),
                                               .put(PutRequest(key: b("w/c"), value: b("3")))]))
        try store.put("w/a", "4")
        _ = try store.deleteRange(DeleteRangeRequest(.prefix(b("w/"))))
        let responses = drain(watcher)
        #expect(responses.first?.created == true)
        let batches = responses.dropFirst().map { $0.events.map { "\($0.type) \($0.kv.keyString)" } }
        #expect(batches == [["put w/a"], ["put w/b", "put w/c"], ["put w/a"], ["delete w/a", "delete w/b", "delete w/c"]])
        let last = responses.last!
        #expect(last.header.revision == store.revision)
        #expect(last.events[0].kv.modRevision == store.revision && last.events[0].kv.version == 0)
        #expect(last.events[0].prevKV?.valueString == "4")
        #expect(responses[3].events[0].prevKV?.valueString == "1")
        #expect(ready.count.load(ordering: .relaxed) == 1, "no wake-ups while the consumer has not yet found the buffer empty")
        try store.put("w/z", "5")
        try store.put("w/z", "6")
        #expect(ready.count.load(ordering: .relaxed) == 2, "one wake-up after the consumer found the buffer empty")
        #expect(drain(watcher).count == 2)
    }

    @Test func filtersAndRangeKinds() throws {
        let store = Store()
        let single = try store.watch(WatchRequest(key: b("k")), onReady: {})
        let range = try store.watch(WatchRequest(key: b("a"), rangeEnd: b("m")), onReady: {})
        let fromKey = try store.watch(WatchRequest(key: b("m"), rangeEnd: [0]), onReady: {})
        let noPut = try store.watch(WatchRequest(key: [0], rangeEnd: [0], noPut: true), onReady: {})
        let noDelete = try store.watch(WatchRequest(key: [0], rangeEnd: [0], noDelete: true), onReady: {})
        for k in ["k", "a", "l", "m", "z", "kk"] { try store.put(k, "v") }
        #expect(try store.delete("k"))
        func keys(_ w: Watcher) -> [String] { drain(w).flatMap(\.events).map { "\($0.type == .put ? "+" : "-")\($0.kv.keyString)" } }
        #expect(keys(single) == ["+k", "-k"])
        #expect(keys(range) == ["+k", "+a", "+l", "+kk", "-k"])
        #expect(keys(fromKey) == ["+m", "+z"])
        #expect(keys(noPut) == ["-k"])
        #expect(keys(noDelete) == ["+k", "+a", "+l", "+m", "+z", "+kk"])
    }

    @Test func replayFromThePastHandsOverWithoutGap() throws {
        let store = Store()
        for i in 1...20 { try store.put("r/\(i % 3)", "\(i)") }
        let watcher = try store.watch(WatchRequest(.prefix(b("r/")), startRevision: 5), onReady: {})
        for i in 21...30 { try store.put("r/\(i % 3)", "\(i)") }
        let responses = drain(watcher)
        let revisions = responses.flatMap(\.events).map(\.kv.modRevision)
        #expect(revisions == Array(5...31))
        // Replay arrives as one response holding many revisions.
        #expect(responses[1].events.count >= 27 - 10)
    }

    @Test func startBelowCompactionIsCanceledWithCompactRevision() throws {
        let store = Store()
        for i in 0..<10 { try store.put("c", "\(i)") }
        try store.compact(6)
        let watcher = try store.watch(WatchRequest(key: b("c"), startRevision: 3), onReady: {})
        let responses = drain(watcher)
        #expect(responses.count == 2)
        #expect(responses[0].created)
        #expect(responses[1].canceled && responses[1].compactRevision == 6)
        #expect(responses[1].cancelReason == "etcdserver: mvcc: required revision has been compacted")
        #expect(watcher.isFinished)
        // At the compacted revision itself the history is still there.
        let ok = try store.watch(WatchRequest(key: b("c"), startRevision: 6), onReady: {})
        #expect(drain(ok).flatMap(\.events).map(\.kv.modRevision) == Array(6...11))
    }

    @Test func futureStartRevisionWaits() throws {
        let store = Store()
        let watcher = try store.watch(WatchRequest(key: b("f"), startRevision: 4), onReady: {})
        for i in 0..<4 { try store.put("f", "\(i)") }
        #expect(drain(watcher).flatMap(\.events).map(\.kv.modRevision) == [4, 5])
    }

    @Test func stalledConsumerCatchesUpFromHistoryWithBoundedMemory() throws {
        let store = Store()
        let watcher = try store.watch(WatchRequest(.prefix(b("s/"))), onReady: {})
        let maximum = store.state.withLock { $0.watchers.maximumBufferedEvents }
        for i in 0..<(maximum * 5) { try store.put("s/\(i % 7)", "\(i)") }
        let buffered = store.state.withLock { $0.watchers[watcher.id]!.bufferedEvents }
        #expect(buffered <= maximum, "a stalled watcher's buffer stays bounded: \(buffered)")
        #expect(store.watcherCounts.synced == 0, "it fell back to history")
        let events = drain(watcher, maxEvents: 100).flatMap(\.events)
        #expect(events.count == maximum * 5)
        #expect(events.map(\.kv.modRevision) == Array(2...Int64(maximum * 5 + 1)), "every event, in order, once")
        #expect(store.watcherCounts.synced == 1, "synced again after catching up")
        try store.put("s/live", "x")
        #expect(drain(watcher).flatMap(\.events).map(\.kv.keyString) == ["s/live"])
    }

    @Test func stalledConsumerWhoseHistoryWasCompactedIsCanceled() throws {
        let store = Store()
        let watcher = try store.watch(WatchRequest(key: b("h")), onReady: {})
        let maximum = store.state.withLock { $0.watchers.maximumBufferedEvents }
        for i in 0..<(maximum * 2) { try store.put("h", "\(i)") }
        try store.compact(store.revision)
        let responses = drain(watcher)
        #expect(responses.last?.canceled == true)
        #expect(responses.last?.compactRevision == store.revision)
    }

    @Test func cancelReleasesTheWatcher() throws {
        let store = Store()
        let watcher = try store.watch(WatchRequest(key: b("x")), onReady: {})
        try store.put("x", "1")
        watcher.cancel()
        #expect(store.watcherCounts == (0, 0))
        #expect(watcher.poll().isEmpty)
        #expect(watcher.isFinished)
        try store.put("x", "2")
    }

    @Test func progressNotifications() throws {
        let store = Store()
        let asked = try store.watch(WatchRequest(key: b("p"), progressNotify: true), onReady: {})
        let quiet = try store.watch(WatchRequest(key: b("q")), onReady: {})
        _ = drain(asked); _ = drain(quiet)
        try store.put("other", "v")
        store.progressNotify()
        let progress = drain(asked)
        #expect(progress.count == 1 && progress[0].isProgressNotify && progress[0].header.revision == 2)
        #expect(drain(quiet).isEmpty)
        quiet.requestProgress()
        #expect(drain(quiet).first?.header.revision == 2)
    }

    @Test func asyncStreamDeliversEvents() async throws {
        let store = Store()
        let stream = try store.watch(WatchRequest(.prefix(b("a/"))))
        let writer = Task {
            for i in 0..<50 { try store.put("a/\(i)", "v") }
        }
        var seen: [Int64] = []
        for await response in stream {
            seen += response.events.map(\.kv.modRevision)
            if seen.count == 50 { break }
        }
        try await writer.value
        #expect(seen == Array(2...51))
    }

    /// Many runs of: a watcher starts in the past while writers keep writing; it must see every
    /// revision of its range exactly once, in order, across the replay-to-live handoff.
    @Test(arguments: 0..<8)
    func noGapAtHandoffUnderConcurrentWriters(run: Int) throws {
        let store = Store(configuration: StoreConfiguration(treeNodeCapacity: 5))
        for i in 0..<200 { try store.put("g/\(i % 13)", "\(i)") }
        let start = Int64(2 + run * 20)
        let writes = 600
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for i in 0..<writes { _ = try? store.put(i % 2 == 0 ? "g/\(i % 13)" : "other/\(i)", "w\(i)") }
            done.signal()
        }
        let watcher = try store.watch(WatchRequest(.prefix(b("g/")), startRevision: start), onReady: {})
        var events: [Event] = []
        var finished = false
        for _ in 0..<200_000 {
            let batch = watcher.poll(maxEvents: 37)
            events += batch.flatMap(\.events)
            if batch.isEmpty {
                if finished { break }
                finished = done.wait(timeout: .now()) == .success
            }
        }
        let expected = try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: store.revision))
        _ = expected
        // Every revision from `start` that wrote a g/ key, exactly once and in order.
        let revisions = events.map(\.kv.modRevision)
        #expect(revisions == revisions.sorted(), "run \(run): out of order")
        #expect(Set(revisions).count == revisions.count, "run \(run): duplicates")
        let expectedCount = (200 - Int(start) + 2) + writes / 2
        #expect(revisions.count == expectedCount, "run \(run): \(revisions.count) events, expected \(expectedCount)")
    }
}

struct WatchFilterCatchUpTests {
    /// A watcher behind on history made only of changes its filters drop must still catch up (and not
    /// report "nothing ready" while behind), whatever the poll size.
    @Test(arguments: [1, 2, 7, 64])
    func filteredHistoryNeverStallsCatchUp(maxEvents: Int) throws {
        let store = Store()
        for i in 0..<300 { try store.put("f/\(i % 5)", "\(i)") }
        try store.delete(prefix: "f/")
        let watcher = try store.watch(WatchRequest(key: Array("f/".utf8), rangeEnd: Array("f0".utf8), startRevision: 2,
                                                   noPut: true), onReady: {})
        var events: [Event] = []
        for _ in 0..<10_000 {
            let batch = watcher.poll(maxEvents: maxEvents)
            if batch.isEmpty { break }
            events += batch.flatMap(\.events)
        }
        #expect(events.count == 5 && events.allSatisfy { $0.type == .delete }, "poll size \(maxEvents)")
        #expect(store.watcherCounts.synced == 1, "caught up and live again")
    }
}
