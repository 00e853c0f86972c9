import Glibc
import KVStore
import KVSync
import Synchronization
import Testing
@testable import KVWAL
import TestSupport

/// The record with index `n` in these tests: a put of `key/n`.
private func record(_ n: UInt64) -> [UInt8] {
    JournalRecord.changes(revision: Int64(n) + 1, [.put(key: Array("key/\(n)".utf8), value: Array(repeating: UInt8(n % 251), count: Int(n % 40)), lease: 0)]).encoded
}

private func append(_ log: WriteAheadLog, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { log.append($0) }
}

/// Waits (bounded) until `condition` holds.
private func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = WriteAheadLog.now() + UInt64(seconds * 1e9)
    while WriteAheadLog.now() < deadline {
        if condition() { return true }
        var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        nanosleep(&pause, nil)
    }
    return condition()
}

/// What recovery read: (index, record) pairs.
private func recover(_ storage: any WALStorage, directory: String = "/d/wal") throws(WALError) -> (WALRecovery.Outcome, [(UInt64, JournalRecord)]) {
    var records: [(UInt64, JournalRecord)] = []
    let outcome = try WALRecovery.recover(directory: directory, storage: storage) { index, record in
        records.append((index, record))
        return true
    }
    return (outcome, records)
}

private func expectRecords(_ records: [(UInt64, JournalRecord)], _ range: ClosedRange<UInt64>, _ comment: Comment? = nil) throws {
    #expect(records.map(\.0) == Array(range), comment)
    for (index, decoded) in records {
        let expected = try record(index).withUnsafeBytes { b throws(JournalError) in try JournalRecord.decode(b) }
        #expect(decoded == expected, comment)
    }
}

/// A log of `count` records, written and closed; returns the storage and the segment's path.
private func writtenLog(_ count: UInt64, mode: WALSyncMode = .always) throws -> (MemoryWALStorage, String) {
    let storage = MemoryWALStorage()
    let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: mode, storage: storage)
    try log.start(startRevision: 1)
    for n in 1...count { append(log, record(n)) }
    #expect(eventually { log.durableIndex.load(ordering: .acquiring) == count })
    log.stop()
    return (storage, "/d/wal/" + WALFormat.segmentName(firstIndex: 1))
}

struct WriteAheadLogTests {
    @Test func segmentNames() {
        #expect(WALFormat.segmentName(firstIndex: 1) == "0000000000000001.wal")
        #expect(WALFormat.firstIndex(ofSegmentNamed: "00000000000000ff.wal") == 255)
        for bad in ["1.wal", "00000000000000FF.wal", "0000000000000001.snap", "000000000000000g.wal", "kv.snap"] {
            #expect(WALFormat.firstIndex(ofSegmentNamed: bad) == nil, "\(bad)")
        }
    }

    @Test func syncModes() {
        #expect(WALSyncMode.parse("always") == .always)
        #expect(WALSyncMode.parse("none") == WALSyncMode.none)
        #expect(WALSyncMode.parse("interval=1s") == .interval(nanoseconds: 1_000_000_000))
        #expect(WALSyncMode.parse("interval=250ms") == .interval(nanoseconds: 250_000_000))
        for bad in ["", "sometimes", "interval=", "interval=0s", "interval=1", "interval=-1s", "interval=99999999999999999999s"] {
            #expect(WALSyncMode.parse(bad) == nil, "\(bad)")
        }
        #expect(WALSyncMode.interval(nanoseconds: 1_000_000_000).description == "interval=1s")
    }

    /// Four threads append at once; every record is durable once, in index order, each thread's in its
    /// own order; the syncs were shared (group commit).
    @Test func concurrentAppendsAreGroupCommitted() throws {
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        try log.start(startRevision: 1)
        let lock = Locked(0)
        let threads = (0..<4).map { _ in
            Thread {
                for _ in 0..<500 {
                    // Appends are serialized by the store's lock in real use.
                    lock.withLock { appends in
                        appends += 1
                        let next = log.appendedIndex.load(ordering: .relaxed) + 1
                        append(log, record(next))
                    }
                }
            }
        }
        threads.forEach { $0.join() }
        #expect(eventually { log.durableIndex.load(ordering: .acquiring) == 2000 })
        log.stop()
        #expect(log.syncedRecords.load(ordering: .relaxed) == 2000)
        let syncs = log.syncCount.load(ordering: .relaxed)
        #expect(syncs >= 1 && syncs <= 2000)
        let (outcome, records) = try recover(storage)
        #expect(outcome.lastIndex == 2000 && outcome.repairs.isEmpty)
        try expectRecords(records, 1...2000)
    }

    /// Cutting the segment at every byte (a crash in the middle of a write): recovery keeps exactly the
    /// records wholly before the cut and says what it cut; nothing is refused.
    @Test func everyCutRecoversTheCompletePrefix() throws {
        let (storage, path) = try writtenLog(12)
        let full = storage.bytes(of: path)
        var boundaries = [WALFormat.headerSize]
        var offset = WALFormat.headerSize
        while offset < full.count {
            let length = Int(WALFormat.load(UInt32.self, full, offset))
            offset += WALFormat.frameHeaderSize + length
            boundaries.append(offset)
        }
        #expect(boundaries.last == full.count)
        for cut in 0...full.count {
            let copy = MemoryWALStorage()
            copy.setBytes(Array(full[0..<cut]), of: path)
            let (outcome, records) = try recover(copy)
            let complete = boundaries.lastIndex { $0 <= cut }.map(UInt64.init) ?? 0
            if complete > 0 {
                try expectRecords(records, 1...complete, "cut at \(cut)")
            } else {
                #expect(records.isEmpty, "cut at \(cut)")
            }
            let cutInsideRecord = cut >= WALFormat.headerSize && !boundaries.contains(cut)
            #expect(outcome.repairs.isEmpty == !(cutInsideRecord || cut < WALFormat.headerSize), "cut at \(cut): \(outcome.repairs)")
            // After the repair, the file is whole again: a second recovery repairs nothing.
            let (again, _) = try recover(copy)
            #expect(again.repairs.isEmpty && again.lastIndex == outcome.lastIndex, "cut at \(cut)")
        }
    }

    /// A damaged record followed by good ones is corruption, not a torn write: the start is refused,
    /// naming the file and the offset, and the file is left as it was.
    @Test func aBadRecordInTheMiddleRefusesTheStart() throws {
        let (storage, path) = try writtenLog(10)
        var bytes = storage.bytes(of: path)
        var offset = WALFormat.headerSize
        for _ in 0..<3 { offset += WALFormat.frameHeaderSize + Int(WALFormat.load(UInt32.self, bytes, offset)) }
        bytes[offset + WALFormat.frameHeaderSize] ^= 0x40
        storage.setBytes(bytes, of: path)
        let error = try #require(throws: WALError.self) { try recover(storage) }
        #expect(error.kind == .corrupt(offset: offset))
        #expect(error.path == path)
        #expect("\(error)".contains("good records follow"))
        #expect(storage.bytes(of: path) == bytes)
    }

    @Test func aBadLastRecordIsCutOff() throws {
        let (storage, path) = try writtenLog(10)
        var bytes = storage.bytes(of: path)
        bytes[bytes.count - 1] ^= 0x01
        storage.setBytes(bytes, of: path)
        let (outcome, records) = try recover(storage)
        try expectRecords(records, 1...9)
        #expect(outcome.repairs.count == 1 && outcome.repairs[0].contains("checksum mismatch"))
    }

    @Test func aMissingSegmentIsRefused() throws {
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        try log.start(startRevision: 1)
        var firsts: [UInt64] = [1]
        for n in 1...30 as ClosedRange<UInt64> {
            append(log, record(n))
            if n % 10 == 0 {
                #expect(eventually { log.durableIndex.load(ordering: .acquiring) == n })
                firsts.append(try log.rotate())
            }
        }
        log.stop()
        #expect(firsts == [1, 11, 21, 31])
        let (_, all) = try recover(storage)
        try expectRecords(all, 1...30)
        try storage.remove("/d/wal/" + WALFormat.segmentName(firstIndex: 11))
        let error = try #require(throws: WALError.self) { try recover(storage) }
        #expect(error.kind == .inconsistent && "\(error)".contains("records 11…20 are missing"))
    }

    /// Segments before a rotation can go once a snapshot covers them; recovery then starts after them.
    @Test func removingCoveredSegments() throws {
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        try log.start(startRevision: 1)
        for n in 1...5 as ClosedRange<UInt64> { append(log, record(n)) }
        let first = try log.rotate()
        #expect(first == 6)
        for n in 6...8 as ClosedRange<UInt64> { append(log, record(n)) }
        #expect(try log.removeSegments(before: first) == [WALFormat.segmentName(firstIndex: 1)])
        #expect(eventually { log.durableIndex.load(ordering: .acquiring) == 8 })
        log.stop()
        let (outcome, records) = try recover(storage)
        try expectRecords(records, 6...8)
        #expect(outcome.segments == [WALFormat.segmentName(firstIndex: 6)])
    }

    /// A full disk: nothing is reported durable while writes fail, the torn bytes are cut off, and once
    /// space returns the same records are written exactly once.
    @Test(arguments: [(ENOSPC, "write"), (EIO, "fdatasync")] as [(Int32, String)])
    func aFailingDiskHoldsDurabilityUntilItWorks(code: Int32, call: String) throws {
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        log.retryInterval = 20_000_000
        let faults = Locked<[String]>([])
        log.onFault = { error in faults.withLock { $0.append(error.map { "\($0)" } ?? "recovered") } }
        try log.start(startRevision: 1)
        for n in 1...3 as ClosedRange<UInt64> { append(log, record(n)) }
        #expect(eventually { log.durableIndex.load(ordering: .acquiring) == 3 })
        storage.setFaults(call == "write" ? .init(writeErrno: code, tornBytes: 7) : .init(syncErrno: code))
        for n in 4...6 as ClosedRange<UInt64> { append(log, record(n)) }
        #expect(eventually { faults.withLock { $0.count } == 1 })
        let faulted = log.isFaulted.load(ordering: .relaxed)
        #expect(faulted)
        var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
        nanosleep(&pause, nil)
        #expect(log.durableIndex.load(ordering: .acquiring) == 3, "nothing failed is reported durable")
        #expect(throws: WALError.self, "a rotation (a snapshot) does not wait for a failing disk") { try log.rotate() }
        let failure = faults.withLock { $0[0] }
        #expect(failure.contains(call) && failure.contains(String(cString: strerror(code))), "\(failure)")
        storage.setFaults(.init())
        #expect(eventually { log.durableIndex.load(ordering: .acquiring) == 6 })
        #expect(faults.withLock { $0 } .last == "recovered")
        let stillFaulted = log.isFaulted.load(ordering: .relaxed)
        #expect(!stillFaulted)
        log.stop()
        let (outcome, records) = try recover(storage)
        #expect(outcome.repairs.isEmpty)
        try expectRecords(records, 1...6)
    }

    /// Short writes (the kernel taking part of a buffer) are completed, not lost.
    @Test func shortWritesAreCompleted() throws {
        let storage = MemoryWALStorage()
        storage.setFaults(.init(maximumWrite: 5))
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        try log.start(startRevision: 1)
        for n in 1...40 as ClosedRange<UInt64> { append(log, record(n)) }
        #expect(eventually { log.durableIndex.load(ordering: .acquiring) == 40 })
        log.stop()
        try expectRecords(try recover(storage).1, 1...40)
    }

    /// Power cuts at random moments while four threads append: whatever the disk kept of its unsynced
    /// bytes, recovery finds every record that was durable before the cut, in order, and nothing else
    /// but whole records that followed them.
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func powerCutsLoseNothingDurable(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        try log.start(startRevision: 1)
        let lock = Locked(0)
        let stop = Atomic<Bool>(false)
        let writers = (0..<4).map { _ in
            Thread {
                var written = 0
                while !stop.load(ordering: .relaxed) && written < 20_000 {
                    lock.withLock { appends in
                        appends += 1
                        append(log, record(log.appendedIndex.load(ordering: .relaxed) + 1))
                    }
                    written += 1
                }
            }
        }
        for cut in 0..<8 {
            var pause = timespec(tv_sec: 0, tv_nsec: Int.random(in: 1_000_000...20_000_000, using: &random))
            nanosleep(&pause, nil)
            let durable = log.durableIndex.load(ordering: .acquiring)
            let crashed = MemoryWALStorage()
            crashed.state.withLock { $0.files = storage.files }
            let keep = Int.random(in: 0...4096, using: &random)
            crashed.crash { _, unsynced in min(unsynced, keep) }
            let (outcome, records) = try recover(crashed)
            #expect(outcome.lastIndex >= durable, "seed \(seed) cut \(cut): durable \(durable), recovered \(outcome.lastIndex)")
            if outcome.lastIndex > 0 { try expectRecords(records, 1...outcome.lastIndex, "seed \(seed) cut \(cut)") }
        }
        stop.store(true, ordering: .relaxed)
        writers.forEach { $0.join() }
        log.stop()
    }

    /// Garbage where a segment should be never traps recovery: it is repaired or refused.
    @Test func garbageSegmentsAreRefusedOrRepaired() throws {
        var random = SeededGenerator(seed: 99)
        let (storage, path) = try writtenLog(6)
        let good = storage.bytes(of: path)
        for round in 0..<3000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...20, using: &random)))
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
                }
                if bytes.isEmpty { break }
            }
            let copy = MemoryWALStorage()
            copy.setBytes(bytes, of: path)
            do {
                let (outcome, records) = try recover(copy)
                #expect(records.map(\.0) == Array(stride(from: UInt64(1), through: outcome.lastIndex, by: 1)) || records.isEmpty, "round \(round)")
            } catch {
                #expect(!"\(error)".isEmpty)
            }
        }
    }
}

/// A pthread running a closure, joined by the test.
final class Thread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let box = Unmanaged.passRetained(self)
        pthread_create(&handle, nil, { argument in
            let thread = Unmanaged<Thread>.fromOpaque(argument!).takeRetainedValue()
            thread.body()
            return nil
        }, box.toOpaque())
    }

    func join() { pthread_join(handle, nil) }
}
