import Glibc
import KVStore
import Testing
@testable import KVWAL
import TestSupport

/// What a client can observe of a store: every key-value at every retained revision, the leases and
/// their keys, the auth state.
private func fingerprint(_ store: Store) throws -> String {
    var text = "revision \(store.revision) compacted \(store.compactedRevision)\n"
    for revision in max(1, store.compactedRevision)...store.revision {
        let kvs = try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: revision)).kvs
        text += "\(revision): " + kvs.map { "\(String(decoding: $0.key, as: UTF8.self))=\(String(decoding: $0.value, as: UTF8.self))@\($0.createRevision)/\($0.modRevision)/\($0.version)/\($0.lease)" }.joined(separator: " ") + "\n"
    }
    for id in store.leases().leases.sorted() {
        let info = store.leaseTimeToLive(id, keys: true)
        text += "lease \(id) \(info.grantedTTL) \(info.keys.map { String(decoding: $0, as: UTF8.self) })\n"
    }
    return text + "auth \(store.auth.contents)"
}

/// The log end to end: a store journaling into a real `WriteAheadLog` (on the in-memory file layer)
/// runs a seeded workload; the segment is then cut at random bytes — a crash at any moment — and
/// recovered into a fresh store, which must equal the original store as it was after the last record
/// the cut left whole.
struct LogReplayModelTests {
    @Test(arguments: [21, 22, 23] as [UInt64])
    func aLogCutAnywhereReplaysToTheStateAtItsLastWholeRecord(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let configuration = StoreConfiguration(clock: clock, passwordHashIterations: 1)
        let store = Store(configuration: configuration)
        let storage = MemoryWALStorage()
        let log = WriteAheadLog(directory: "/d/wal", lastIndex: 0, mode: .always, storage: storage)
        store.attachJournal(log)
        try log.start(startRevision: store.revision)
        // The expected state after each number of records.
        var states: [UInt64: String] = [0: try fingerprint(store)]
        for step in 0..<150 {
            let key = Array("k\(Int.random(in: 0..<8, using: &random))".utf8)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4: _ = try? store.put(PutRequest(key: key, value: Array("v\(step)".utf8), lease: store.leases().leases.first ?? 0))
            case 4: _ = try? store.deleteRange(DeleteRangeRequest(key: Array("k".utf8), rangeEnd: Array("k4".utf8)))
            case 5: _ = try? store.txn(TxnRequest(compare: [Compare(key: key, result: .equal, target: .version(0))],
                                                  success: [.put(PutRequest(key: key, value: [1]))],
                                                  failure: [.deleteRange(DeleteRangeRequest(key: key))]))
            case 6: _ = try? store.grantLease(ttl: 10)
            case 7:
                clock.advance(seconds: 4)
                store.expireLeases()
            case 8: if store.revision > 2 { _ = try? store.compact(Int64.random(in: 1..<store.revision, using: &random)) }
            default: try? store.auth.addRole("role\(step)")
            }
            states[log.appendedIndex.load(ordering: .relaxed)] = try fingerprint(store)
        }
        let last = log.appendedIndex.load(ordering: .relaxed)
        var waited = 0
        while log.durableIndex.load(ordering: .acquiring) < last && waited < 10_000 {
            try await_(1)
            waited += 1
        }
        log.stop()
        let path = "/d/wal/" + WALFormat.segmentName(firstIndex: 1)
        let full = storage.bytes(of: path)
        // Where each record ends; a cut between the end of record k and the end of record k + 1 leaves k.
        var ends: [UInt64: Int] = [0: WALFormat.headerSize]
        var offset = WALFormat.headerSize
        var index: UInt64 = 0
        while offset < full.count {
            offset += WALFormat.frameHeaderSize + Int(WALFormat.load(UInt32.self, full, offset))
            index += 1
            ends[index] = offset
        }
        #expect(index == last)
        // Steps that appended several records (an expiry of several leases) have no state in between.
        let whole = states.keys.sorted()
        for round in 0..<60 {
            let k = round == 0 ? last : whole.randomElement(using: &random)!
            let cut = k == last ? full.count : Int.random(in: ends[k]!..<ends[k + 1]!, using: &random)
            let copy = MemoryWALStorage()
            copy.setBytes(Array(full[0..<cut]), of: path)
            let recovered = Store(configuration: configuration)
            let outcome = try WALRecovery.recover(directory: "/d/wal", storage: copy) { _, record throws(JournalError) in
                try recovered.replay(record)
            }
            #expect(outcome.lastIndex == k, "seed \(seed) cut at \(cut)")
            let expected = try #require(states[outcome.lastIndex], "seed \(seed): a state after record \(outcome.lastIndex)")
            #expect(try fingerprint(recovered) == expected, "seed \(seed) cut at \(cut) of \(full.count): record \(outcome.lastIndex)")
        }
    }
}

private func await_(_ milliseconds: Int) throws {
    var pause = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
    nanosleep(&pause, nil)
}
