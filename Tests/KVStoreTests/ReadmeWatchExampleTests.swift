import Foundation
import Testing
import KVStore

/// The README's "Watching and leases" example, compiled and run here; the test below checks that the
/// README shows exactly this code.
// README-WATCH-BEGIN
func readmeWatchExample() async throws -> [String] {
    let clock = ManualClock()                             // the store's time (an app leaves the default)
    let store = Store(configuration: StoreConfiguration(clock: clock))
    store.startLeaseExpiry(every: .milliseconds(10))      // opt in: the store revokes expired leases itself
    defer { store.stopLeaseExpiry() }

    let watcher = try store.watch(prefix: "session/")     // every change under session/ from now on
    defer { watcher.cancel() }

    let lease = try store.grantLease(ttl: 5)              // 5 seconds
    try store.put("session/alice", "online", lease: lease.id)
    let online = try store.txn(TxnRequest(
        compare: [Compare(key: "session/alice", result: .equal, target: .value("online"))],
        success: [.range(RangeRequest(prefix: "session/"))]))
    print(online.succeeded)                               // true

    clock.advance(seconds: 6)                             // the lease runs out...
    for _ in 0..<500 where try store.get("session/alice") != nil {
        try await Task.sleep(for: .milliseconds(2))       // ...and within 10 ms its key is deleted
    }
    var seen: [String] = []
    for response in watcher.poll() {
        for event in response.events { seen.append("\(event.type) \(event.kv.keyString)") }
    }
    return seen                                           // ["put session/alice", "delete session/alice"]
}
// README-WATCH-END

struct ReadmeWatchExampleTests {
    @Test func exampleRuns() async throws {
        #expect(try await readmeWatchExample() == ["put session/alice", "delete session/alice"])
    }

    @Test func readmeShowsThisExample() throws {
        let testFile = try String(contentsOfFile: #filePath, encoding: .utf8)
        let root = ((#filePath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let readme = try String(contentsOfFile: (root as NSString).deletingLastPathComponent + "/README.md", encoding: .utf8)
        guard let start = testFile.range(of: "// README-WATCH-BEGIN\n"),
              let end = testFile.range(of: "// README-WATCH-END", range: start.upperBound..<testFile.endIndex) else {
            Issue.record("markers missing")
            return
        }
        let code = String(testFile[start.upperBound..<end.lowerBound])
        #expect(readme.contains(code), "README.md must contain the example from ReadmeWatchExampleTests.swift verbatim")
    }

    /// The built-in expiry follows the injected clock, stops when told, and leaves manual expiry alone.
    @Test func leaseExpiryIsOptInAndFollowsTheClock() async throws {
        let clock = ManualClock()
        let store = Store(configuration: StoreConfiguration(clock: clock))
        let lease = try store.grantLease(ttl: 1)
        try store.put("k", "v", lease: lease.id)
        clock.advance(seconds: 2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try store.get("k") != nil, "without startLeaseExpiry nothing expires by itself")
        store.startLeaseExpiry(every: .milliseconds(5))
        #expect(store.isExpiringLeases)
        var gone = false
        for _ in 0..<1000 where !gone {
            gone = try store.get("k") == nil
            if !gone { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(gone)
        store.stopLeaseExpiry()
        #expect(!store.isExpiringLeases)
        let second = try store.grantLease(ttl: 1)
        clock.advance(seconds: 2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(store.leases().leases.contains(second.id), "stopped: the lease stays until expireLeases()")
        #expect(store.expireLeases() == 1)
    }

    @Test func stringConveniencesBuildTheByteRequests() throws {
        #expect(RangeRequest(key: "a", rangeEnd: "b") == RangeRequest(key: Array("a".utf8), rangeEnd: Array("b".utf8)))
        #expect(RangeRequest(prefix: "p/") == RangeRequest(.prefix(Array("p/".utf8))))
        #expect(WatchRequest(prefix: "p/", startRevision: 3) == WatchRequest(.prefix(Array("p/".utf8)), startRevision: 3))
        #expect(WatchRequest(key: "k") == WatchRequest(key: Array("k".utf8)))
        #expect(Compare(key: "k", result: .equal, target: .value("v")) == Compare(key: Array("k".utf8), result: .equal, target: .value(Array("v".utf8))))
        #expect(PutRequest(key: "k", value: "v", lease: 7) == PutRequest(key: Array("k".utf8), value: Array("v".utf8), lease: 7))
        #expect(DeleteRangeRequest(prefix: "p/") == DeleteRangeRequest(.prefix(Array("p/".utf8))))
        let store = Store()
        let watcher = try store.watch(key: "k")
        try store.put("k", "v")
        #expect(watcher.poll().flatMap(\.events).map(\.kv.valueString) == ["v"])
    }
}
