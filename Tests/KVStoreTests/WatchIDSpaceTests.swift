import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Watch IDs: a stream's client-visible space (`WatchIDSpace`) and the store's internal IDs.
struct WatchIDSpaceTests {
    @Test func automaticIDsCountUpAndSkipExplicitOnes() throws {
        var ids = WatchIDSpace()
        #expect(try ids.claim(0) == 1)
        #expect(try ids.claim(3) == 3)
        #expect(try ids.claim(0) == 2)
        #expect(try ids.claim(0) == 4, "3 is in use: skipped")
        ids.release(1)
        #expect(try ids.claim(0) == 5, "a released ID is not handed out again automatically")
        #expect(try ids.claim(1) == 1, "but may be asked for explicitly")
        #expect(ids.count == 5)
    }

    @Test func etcdNumberingStartsAtZero() throws {
        var ids = WatchIDSpace(firstAutomaticID: 0)
        #expect(try ids.claim(0) == 0)
        #expect(try ids.claim(0) == 1)
        #expect(WatchIDSpace(firstAutomaticID: -5).firstAutomaticID == 0)
    }

    /// Every request an Int64 can carry: explicit IDs are taken as given, nothing traps, and a second
    /// claim of a live ID is refused with etcd's error.
    @Test(arguments: [Int64.min, -1, 0, 1, Int64.max - 1, Int64.max])
    func int64Edges(requested: Int64) throws {
        var ids = WatchIDSpace()
        let id = try ids.claim(requested)
        if requested > 0 {
            #expect(id == requested)
            #expect(throws: StoreError.watchIDInUse(id: requested)) { try ids.claim(requested) }
            #expect(StoreError.watchIDInUse(id: requested).description == "mvcc: watcher ID already in use")
        } else {
            #expect(id == 1, "a request ≤ 0 is automatic")
            #expect(try ids.claim(requested) == 2)
        }
        // The counter is untouched by explicit IDs, even the largest.
        #expect(try ids.claim(0) == (requested > 1 ? 1 : requested == 1 ? 2 : 3))
    }

    @Test func counterWrapsInsteadOfOverflowing() throws {
        var ids = WatchIDSpace(firstAutomaticID: 1, next: Int64.max - 1)
        #expect(try ids.claim(0) == Int64.max - 1)
        #expect(try ids.claim(0) == Int64.max)
        #expect(try ids.claim(0) == 1, "after Int64.max the counter starts again at the first ID")
        #expect(try ids.claim(2) == 2)
        #expect(try ids.claim(0) == 3)
        ids.removeAll()
        #expect(ids.count == 0 && !ids.contains(3))
        #expect(try ids.claim(0) == 1)
    }

    @Test func storeIdentifiesWatchersByInternalIDs() throws {
        let store = Store()
        // Two streams may use the same watch ID: the store does not check it, it only labels responses.
        let first = try store.watch(WatchRequest(key: b("k"), watchID: 7), onReady: {})
        let second = try store.watch(WatchRequest(key: b("k"), watchID: 7), onReady: {})
        let automatic = try store.watch(WatchRequest(key: b("k")), onReady: {})
        #expect(first.id != second.id && second.id != automatic.id)
        #expect(first.watchID == 7 && second.watchID == 7)
        #expect(automatic.watchID == automatic.id)
        try store.put("k", "v")
        for watcher in [first, second, automatic] {
            let responses = watcher.poll()
            #expect(!responses.isEmpty && responses.allSatisfy { $0.watchID == watcher.watchID })
        }
        // Canceling one leaves the other with the same label alone.
        first.cancel()
        #expect(first.isFinished && !second.isFinished)
        #expect(store.watcherCounts.total == 2)
    }

    @Test(arguments: [Int64.min, -1, Int64.max - 1, Int64.max])
    func storeTakesAnyWatchIDLabel(label: Int64) throws {
        let store = Store()
        let watcher = try store.watch(WatchRequest(key: b("k"), watchID: label), onReady: {})
        #expect(watcher.poll().first?.watchID == label)
        // The next watcher's internal ID is unaffected by any label.
        let next = try store.watch(WatchRequest(key: b("k")), onReady: {})
        #expect(next.id == watcher.id + 1)
    }

    @Test func internalIDsWrapInsteadOfOverflowing() throws {
        let store = Store()
        store.state.withLock { $0.watchers.nextID = Int64.max }
        let last = try store.watch(WatchRequest(key: b("a")), onReady: {})
        let wrapped = try store.watch(WatchRequest(key: b("b")), onReady: {})
        let skipped = try store.watch(WatchRequest(key: b("c")), onReady: {})
        #expect(last.id == Int64.max && wrapped.id == 1 && skipped.id == 2)
        store.state.withLock { $0.watchers.nextID = 1 }
        let reused = try store.watch(WatchRequest(key: b("d")), onReady: {})
        #expect(reused.id == 3, "IDs still in use are skipped")
    }
}
