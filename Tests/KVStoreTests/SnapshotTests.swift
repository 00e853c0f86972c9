import Dispatch
import Testing
@testable import KVStore
import TestSupport

/// Every key at every revision from `from` to `to`, for comparing two stores.
private func history(_ store: Store, from: Int64, to: Int64) throws -> [[KeyValue]] {
    try (from...to).map { try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: $0)).kvs }
}

struct SnapshotTests {
    private func randomStore(seed: UInt64, clock: ManualClock) throws -> Store {
        var rng = SeededGenerator(seed: seed)
        let store = Store(configuration: StoreConfiguration(clusterID: 11, memberID: 22, clock: clock, treeNodeCapacity: 5))
        var leases: [Int64] = []
        for step in 0..<400 {
            let key: [UInt8] = (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let value = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let lease = leases.isEmpty || Bool.random(using: &rng) ? 0 : leases.randomElement(using: &rng)!
                _ = try store.put(PutRequest(key: key, value: value, lease: lease))
            case 5..<7:
                _ = try store.deleteRange(DeleteRangeRequest(key: key, rangeEnd: Bool.random(using: &rng) ? [] : [0xff]))
            case 7:
                leases.append(try store.grantLease(ttl: Int64.random(in: 5...100, using: &rng)).id)
            case 8:
                if step % 50 == 0, store.revision > store.compactedRevision + 5 {
                    try store.compact(store.compactedRevision + Int64.random(in: 1...5, using: &rng))
                }
            default:
                if let id = leases.popLast() { _ = try store.revokeLease(id) }
            }
            if step % 40 == 0 { clock.advance(seconds: 1) }
        }
        return store
    }

    @Test(arguments: Array(1...12) as [UInt64])
    func roundTripIsIdentical(seed: UInt64) throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let original = try randomStore(seed: seed, clock: clock)
        let bytes = try save(original, chunkSize: Int(seed) * 1000)
        let restored = try Store.restore(configuration: StoreConfiguration(clock: clock), from: source(bytes, step: 777 + Int(seed)))
        #expect(restored.revision == original.revision, "seed \(seed)")
        #expect(restored.compactedRevision == original.compactedRevision, "seed \(seed)")
        let from = max(1, original.compactedRevision)
        #expect(try history(restored, from: from, to: original.revision) == history(original, from: from, to: original.revision), "seed \(seed)")
        let originalLeases = original.leases().leases
        #expect(restored.leases().leases.sorted() == originalLeases.sorted(), "seed \(seed)")
        for id in originalLeases {
            let a = original.leaseTimeToLive(id, keys: true)
            let b = restored.leaseTimeToLive(id, keys: true)
            #expect(a.grantedTTL == b.grantedTTL && a.keys == b.keys, "seed \(seed) lease \(id)")
            #expect(abs(a.ttl - b.ttl) <= 1, "seed \(seed): remaining TTL survives")
        }
        #expect(restored.sizeInBytes == original.sizeInBytes)
        #expect(restored.state.withLock { $0.index.invariantViolations() }.isEmpty)
        // Watching from the past works on the restored store as on the original.
        let w1 = try original.watch(WatchRequest(key: [0], rangeEnd: [0], startRevision: from), onReady: {})
        let w2 = try restored.watch(WatchRequest(key: [0], rangeEnd: [0], startRevision: from), onReady: {})
        #expect(w1.poll(maxEvents: 100_000).flatMap(\.events) == w2.poll(maxEvents: 100_000).flatMap(\.events))
        // The info from inspecting matches what writing reported.
        let info = try Store.inspectSnapshot(from: source(bytes))
        #expect(info.totalBytes == bytes.count && info.revision == original.revision && info.clusterID == 11)
    }

    /// `writeSnapshot` (chunks straight from the encoder) and a cursor pulled piece by piece give the
    /// same bytes and the same info, at the current revision and a past one; values larger than half a
    /// chunk go to the sink on their own, other chunks never exceed the chunk size (at least 4096).
    @Test(arguments: [3, 8] as [UInt64])
    func writeSnapshotMatchesTheCursor(seed: UInt64) throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let store = try randomStore(seed: seed, clock: clock)
        try store.put(Array("big".utf8), [UInt8](repeating: 0x42, count: 50_000))
        for revision in [0, min(store.revision, max(store.revision - 3, store.compactedRevision + 1))] {
            for chunkSize in [1, 5000, 1 << 20, .max] {
                var written: [UInt8] = []
                var largest = 0
                let info = try store.writeSnapshot(revision: revision, chunkSize: chunkSize) { chunk in
                    written.append(contentsOf: chunk)
                    if chunk.count != 50_000 { largest = max(largest, chunk.count) }
                }
                #expect(largest <= min(max(4096, chunkSize), 1 << 24), "chunk size \(chunkSize)")
                let cursor = try SnapshotCursor(store: store, revision: revision)
                var pulled: [UInt8] = []
                var step = 1
                while let chunk = cursor.next(maxBytes: step) {
                    pulled += chunk
                    step = step * 3 % 70_001
                }
                #expect(written == pulled, "revision \(revision) chunk size \(chunkSize)")
                #expect(info == cursor.info, "revision \(revision) chunk size \(chunkSize)")
                #expect(info.totalBytes == written.count)
            }
        }
    }

    /// Every chunk a cursor returns is exactly the size asked for, but the last: a record larger than a
    /// chunk (a 2 MiB value) is split across chunks, and the pieces still make the same file.
    @Test(arguments: [1000, 4096, 256 * 1024, 3 << 20])
    func chunksNeverExceedTheSizeAskedFor(maxBytes: Int) throws {
        let store = Store(configuration: StoreConfiguration(clock: ManualClock(nanoseconds: 1_000_000_000)))
        try store.put(Array("a".utf8), [UInt8](repeating: 1, count: 2 << 20))
        for i in 0..<200 { try store.put(Array("b\(i)".utf8), [UInt8](repeating: UInt8(i), count: i * 37)) }
        try store.put(Array("c".utf8), [UInt8](repeating: 2, count: 300 * 1024))
        try store.put(Array("d".utf8), [UInt8](repeating: 3, count: 2 << 20))
        for _ in 0..<50 { _ = try store.grantLease(ttl: 60) }
        var written: [UInt8] = []
        let info = try store.writeSnapshot(chunkSize: 1 << 20) { written.append(contentsOf: $0) }
        let cursor = try SnapshotCursor(store: store)
        var pulled: [UInt8] = []
        var sizes: [Int] = []
        while let chunk = cursor.next(maxBytes: maxBytes) {
            #expect(!cursor.isFinished || cursor.next(maxBytes: maxBytes) == nil)
            pulled += chunk
            sizes.append(chunk.count)
            try #require(sizes.count <= written.count / maxBytes + 2, "the cursor ends")
        }
        #expect(cursor.isFinished)
        #expect(sizes.dropLast().allSatisfy { $0 == maxBytes }, "every chunk but the last is full")
        #expect(try #require(sizes.max()) <= maxBytes, "no chunk is larger than asked for")
        let same = pulled == written
        #expect(same, "the chunks make the file writeSnapshot writes")
        #expect(cursor.info == info)
    }

    @Test func pastRevisionSnapshotHoldsThatState() throws {
        let store = Store()
        for i in 0..<20 { try store.put("k\(i % 4)", "v\(i)") }
        let bytes = try save(store, revision: 10)
        let restored = try Store.restore(from: source(bytes))
        #expect(restored.revision == 10)
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).kvs == store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 10)).kvs)
        try store.compact(12)
        #expect(throws: SnapshotError.store(.compacted(requested: 10, compactedRevision: 12))) { try save(store, revision: 10) }
    }

    @Test func writesDuringASaveDoNotChangeIt() throws {
        let store = Store()
        for i in 0..<3000 { try store.put("key/\(i)", "initial-\(i)") }
        let revision = store.revision
        let expected = try store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs
        var bytes: [UInt8] = []
        var wrote = false
        try store.writeSnapshot(chunkSize: 4096) { chunk in
            bytes.append(contentsOf: chunk)
            if !wrote {
                // Writers run (and finish) while the snapshot is being streamed.
                wrote = true
                let done = DispatchSemaphore(value: 0)
                DispatchQueue.global().async {
                    for i in 0..<3000 { _ = try? store.put("key/\(i)", "changed") }
                    _ = try? store.delete(prefix: "key/1")
                    done.signal()
                }
                #expect(done.wait(timeout: .now() + 30) == .success, "writers were held off by a save")
            }
        }
        let restored = try Store.restore(from: source(bytes))
        #expect(restored.revision == revision)
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).kvs == expected)
    }

    @Test func corruptionIsAlwaysRejected() throws {
        let clock = ManualClock()
        let store = try randomStore(seed: 99, clock: clock)
        let bytes = try save(store)
        var rng = SeededGenerator(seed: 7)
        // Truncation at many lengths, including inside the header and the trailer.
        var lengths = Array(0..<80) + Array((bytes.count - 60)..<bytes.count)
        lengths += (0..<60).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        for length in lengths {
            #expect(throws: SnapshotError.self, "truncated to \(length)") { try Store.restore(from: source(Array(bytes[..<length]))) }
        }
        // Single-byte flips everywhere: header, body, trailer.
        var positions = Array(0..<64) + Array((bytes.count - 40)..<bytes.count)
        positions += (0..<120).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        for position in positions {
            var damaged = bytes
            damaged[position] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(throws: SnapshotError.self, "flip at \(position)") { try Store.restore(from: source(damaged)) }
        }
        // Extra bytes after the trailer.
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(bytes + [0])) }
    }

    @Test func errorsSayWhatIsWrong() throws {
        let store = Store()
        try store.put("a", "1")
        let bytes = try save(store)
        #expect(throws: SnapshotError.notASnapshot) { try Store.restore(from: source(Array("hello world, not a snapshot at all......".utf8))) }
        var version = bytes
        version[8] = 9
        #expect(throws: SnapshotError.unsupportedVersion(9)) { try Store.restore(from: source(version)) }
        let truncated = Array(bytes.dropLast(40))
        #expect(throws: SnapshotError.truncated(offset: bytes.count - 40, expecting: "the checksum trailer")) {
            try Store.restore(from: source(truncated))
        }
        // A file that lost its trailer restores with skipHashCheck, as etcdutl's flag allows.
        let restored = try Store.restore(skipHashCheck: true, from: source(truncated))
        #expect(try restored.get("a")?.valueString == "1")
        var flipped = bytes
        flipped[bytes.count - 45] ^= 0xff   // inside the last record, before the trailer
        do {
            _ = try Store.restore(from: source(flipped))
            Issue.record("a flipped byte was accepted")
        } catch {
            #expect("\(error)".hasPrefix("snapshot: "))
        }
    }

    /// A key record for `key` with one put version at `revision` (value "v").
    private func keyRecord(_ key: String, revision: UInt8) -> [UInt8] {
        [0x01] + lengthPrefixed(key) + [0x01, 0x00, revision, 0x00, revision, 0x01, 0x00, 0x01, 0x76]
    }

    /// Varints are decoded in place when ten bytes are buffered and byte by byte near the end of the
    /// input; both ways refuse the same overlong and out-of-range values at the same offset.
    @Test func varintChecksHoldNearTheEndAndInTheMiddle() throws {
        let overlong: [UInt8] = Array(repeating: 0xff, count: 9) + [0x02]   // past 64 bits
        let tooLarge: [UInt8] = Array(repeating: 0xff, count: 9) + [0x01]   // UInt64.max
        let eleven: [UInt8] = Array(repeating: 0x80, count: 10) + [0x00]    // an 11th byte
        for padding in [0, 3, 9, 10, 64] {
            let tail = [UInt8](repeating: 0, count: padding)
            let header = assemble(revision: 5, []).dropLast(40)   // header only, no trailer
            #expect(throws: SnapshotError.corrupt(offset: 65, reason: "a key length overflows 64 bits"), "padding \(padding)") {
                try Store.restore(skipHashCheck: true, from: source(Array(header) + [0x01] + overlong + tail, step: 7))
            }
            #expect(throws: SnapshotError.corrupt(offset: 65, reason: "a key length overflows 64 bits"), "padding \(padding)") {
                try Store.restore(skipHashCheck: true, from: source(Array(header) + [0x01] + eleven + tail, step: 7))
            }
            #expect(throws: SnapshotError.corrupt(offset: 65, reason: "a key length \(UInt64.max) is out of range"), "padding \(padding)") {
                try Store.restore(skipHashCheck: true, from: source(Array(header) + [0x01] + tooLarge + tail, step: 7))
            }
            // A lease TTL is a varint deep inside a record.
            let lease: [UInt8] = keyRecord("a", revision: 2) + [0x02, 0x02] + overlong
            #expect(throws: SnapshotError.corrupt(offset: 64 + 12 + 2, reason: "a lease TTL overflows 64 bits"), "padding \(padding)") {
                try Store.restore(skipHashCheck: true, from: source(Array(header) + lease + tail, step: 5))
            }
        }
        // Multi-byte varints decode to the same values both ways: a revision of 300 (0xac 0x02).
        let body: [UInt8] = [0x01] + lengthPrefixed("k") + [0x01, 0x00, 0xac, 0x02, 0x00, 0x01, 0x01, 0x00, 0x00, 0xff, 0x01, 0x01, 0x00]
        for step in [1, 3, 4096] {
            let restored = try Store.restore(from: source(assemble(revision: 300, body), step: step))
            #expect(try restored.get("k")?.modRevision == 300)
        }
    }

    /// Values the store would later do arithmetic with are refused or clamped on read, so a crafted file
    /// (whose checksum is its author's) cannot make a later write overflow.
    @Test func integersThatWouldOverflowLaterAreRefused() throws {
        let end: [UInt8] = [0xff, 0x00, 0x00, 0x00]
        let limit = Int64(1) << 62
        #expect(try Store.restore(from: source(assemble(revision: limit, end))).revision == limit)
        for revision in [limit + 1, Int64.max] {
            #expect(throws: SnapshotError.corrupt(offset: 16, reason: "revision \(revision) is out of range (at most \(limit))")) {
                try Store.restore(from: source(assemble(revision: revision, end)))
            }
        }
        // Version 2 created and modified at revision 2: a key changes at most once per revision.
        let twice: [UInt8] = [0x01] + lengthPrefixed("a") + [0x01, 0x00, 0x02, 0x00, 0x02, 0x02, 0x00, 0x01, 0x76]
        #expect(throws: SnapshotError.corrupt(offset: 68, reason: "version 2 created at 2 modified at 2 is impossible")) {
            try Store.restore(from: source(assemble(revision: 2, twice + [0xff, 0x01, 0x01, 0x00])))
        }
        // Version Int64.max, whose next put would overflow.
        let maxVarint: [UInt8] = Array(repeating: 0xff, count: 8) + [0x7f]
        let huge: [UInt8] = [0x01] + lengthPrefixed("a") + [0x01, 0x00, 0x02, 0x00, 0x02] + maxVarint + [0x00, 0x01, 0x76]
        #expect(throws: SnapshotError.self) {
            try Store.restore(from: source(assemble(revision: 2, huge + [0xff, 0x01, 0x01, 0x00])))
        }
        // A lease's remaining time past what the clock can count saturates rather than wrapping into
        // the past.
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let remaining: [UInt8] = Array(repeating: 0xff, count: 9) + [0x01]   // UInt64.max milliseconds
        let lease: [UInt8] = [0x02, 0x02, 0x0a] + remaining + [0xff, 0x00, 0x00, 0x01]
        let restored = try Store.restore(configuration: StoreConfiguration(clock: clock), from: source(assemble(revision: 1, lease)))
        #expect(restored.nextLeaseDeadline == UInt64.max)
        clock.advance(seconds: 1_000_000)
        #expect(restored.expireLeases() == 0)
        #expect(restored.leaseTimeToLive(1).ttl == Int64((UInt64.max - clock.nowNanoseconds()) / 1_000_000_000))
        #expect(try restored.keepAliveLease(1).ttl == 10)
    }

    /// Keys must strictly ascend: a repeated or smaller key, or a longer key after its own extension, is refused.
    @Test func keysMustAscend() throws {
        let end: [UInt8] = [0xff, 0x02, 0x02, 0x00]
        let ordered = keyRecord("a", revision: 2) + keyRecord("ab", revision: 3)
        #expect(try Store.restore(from: source(assemble(revision: 3, ordered + end))).keyCount == 2)
        for (first, second) in [("b", "a"), ("a", "a"), ("ab", "a"), ("b", "ab")] {
            let body = keyRecord(first, revision: 2) + keyRecord(second, revision: 3) + end
            let offset = 64 + keyRecord(first, revision: 2).count
            #expect(throws: SnapshotError.corrupt(offset: offset, reason: "keys are not in strictly ascending order"), "\(first) then \(second)") {
                try Store.restore(from: source(assemble(revision: 3, body)))
            }
            #expect(throws: SnapshotError.corrupt(offset: offset, reason: "keys are not in strictly ascending order")) {
                try Store.inspectSnapshot(from: source(assemble(revision: 3, body)))
            }
        }
    }
}
