import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

@Suite struct WatchTests {
    @Test func streamsEventsWhileWriting() throws {
        let server = try TestServer()
        let watcher = try server.client()
        let writer = try server.client()
        let watch = try watcher.watch(WatchRequest(key: b("w/"), rangeEnd: KeyRange.prefixRangeEnd(b("w/")), prevKV: true))
        for index in 0..<200 { _ = try writer.call(.put(PutRequest(key: b("w/\(index % 10)"), value: b("\(index)")))) }
        _ = try writer.call(.deleteRange(DeleteRangeRequest(key: b("w/0"))))
        _ = try writer.call(.put(PutRequest(key: b("other"), value: b("x"))))
        var events: [Event] = []
        while events.count < 201, let response = try watch.next(timeout: .seconds(5)) {
            #expect(response.watchID == watch.watchID)
            events += response.events
        }
        #expect(events.count == 201)
        #expect(events.prefix(200).enumerated().allSatisfy { $0.element.type == .put && $0.element.kv.value == b("\($0.offset)") })
        #expect(events[10].prevKV?.value == b("0"))
        #expect(events[200].type == .delete && events[200].kv.key == b("w/0"))
        // Replies and events interleave on one connection.
        _ = try watcher.call(.put(PutRequest(key: b("w/self"), value: b("me"))))
        let own = try watch.next(timeout: .seconds(5))
        #expect(own?.events.first?.kv.key == b("w/self"))
        try watch.cancel()
        let last = try watch.next(timeout: .seconds(5))
        #expect(last?.canceled == true)
        #expect(throws: ClientError.self) { try watch.next(timeout: .milliseconds(10)) }
        server.stop()
    }

    @Test func replayFiltersProgressAndCompaction() throws {
        let server = try TestServer()
        let client = try server.client()
        for index in 0..<5 { _ = try client.call(.put(PutRequest(key: b("k"), value: b("\(index)")))) }
        _ = try client.call(.deleteRange(DeleteRangeRequest(key: b("k"))))
        // Replay from revision 3, deletes only.
        let replay = try client.watch(WatchRequest(key: b("k"), startRevision: 3, noPut: true))
        let replayed = try replay.next(timeout: .seconds(5))
        #expect(replayed?.events.map(\.type) == [.delete])
        // A progress request reaches the caught-up watch.
        try replay.requestProgress()
        let progress = try replay.next(timeout: .seconds(5))
        #expect(progress?.isProgressNotify == true && progress?.header.revision == 7)

        _ = try client.call(.compact(CompactionRequest(revision: 6)))
        let tooOld = try client.watch(WatchRequest(key: b("k"), startRevision: 2))
        let canceled = try tooOld.next(timeout: .seconds(5))
        #expect(canceled?.canceled == true && canceled?.compactRevision == 6)

        // Client-chosen ids, and a duplicate is refused.
        let chosen = try client.watch(WatchRequest(key: b("z"), watchID: 4242))
        #expect(chosen.watchID == 4242)
        do {
            _ = try client.watch(WatchRequest(key: b("z"), watchID: 4242))
            Issue.record("expected WATCH_ID_IN_USE")
        } catch {
            #expect(error.wire?.code == "WATCH_ID_IN_USE")
        }
        server.stop()
    }

    @Test func rawWireShowsTaggedEventLines() throws {
        let server = try TestServer()
        let raw = try server.raw()
        try raw.send("@w WATCH foo --prefix\n")
        let created = try raw.line()
        #expect(created.hasPrefix("@w OK rev=1 "))
        #expect(created.contains(" created=1 events=0"))
        try raw.send("PUT foo1 bar\n")
        var lines = [try raw.line(), try raw.line()]
        lines.sort()
        #expect(lines[0].hasPrefix("@w EVENT rev=2 ") && lines[0].hasSuffix("events=1 EV PUT prev=0 KV foo1 bar 2 2 1 0"))
        #expect(lines[1].hasPrefix("OK rev=2 "))
        try raw.send("UNWATCH 999\n")
        #expect(try raw.line().hasSuffix("watch_id=999 events=0"))
        server.stop()
    }

    @Test func asyncResponsesStream() async throws {
        let server = try TestServer()
        let client = try server.client()
        let watch = try client.watch(WatchRequest(key: b("a")))
        _ = try client.call(.put(PutRequest(key: b("a"), value: b("1"))))
        _ = try client.call(.put(PutRequest(key: b("a"), value: b("2"))))
        var values: [[UInt8]] = []
        for try await response in watch.responses {
            values += response.events.map(\.kv.value)
            if values.count == 2 { break }
        }
        #expect(values == [b("1"), b("2")])
        server.stop()
    }

    /// A watcher whose client never reads: the server stops taking its events once the output limit is
    /// reached, so memory stays bounded; the writer is unaffected.
    @Test func slowWatchReaderIsBounded() throws {
        let limit = 64 * 1024
        let server = try TestServer { $0.maxOutputBytes = limit }
        let raw = try server.raw()
        try raw.send("@w WATCH k --prefix\n")
        let writer = try server.client()
        let value = String(repeating: "v", count: 200)
        var batch: [Request] = []
        for index in 0..<2000 { batch.append(.put(PutRequest(key: b("k\(index)"), value: b(value)))) }
        for _ in 0..<5 { _ = try writer.pipeline(batch) }
        let peak = server.server.state.peakOutputBytes.load(ordering: .relaxed)
        #expect(peak < limit + 32 * 1024, "peak output \(peak)")
        // The slow reader still gets everything, in order, once it reads.
        _ = try raw.line()
        var seen = 0
        while seen < 10_000, let line = try? raw.line() {
            seen += line.split(separator: " ").filter { $0 == "EV" }.count
        }
        #expect(seen == 10_000)
        server.stop()
    }
}
