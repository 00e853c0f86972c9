import KVSync
import Testing
@testable import KVStore
import TestSupport

/// Keeps every record a store journals, in order.
final class CapturingJournal: StoreJournal, @unchecked Sendable {
    let records = Locked<[[UInt8]]>([])
    func append(_ record: UnsafeRawBufferPointer) { records.withLock { $0.append(Array(record)) } }
    var all: [[UInt8]] { records.withLock { $0 } }
}

/// Everything a client could observe of a store, for comparing two of them.
struct StoreFingerprint: Equatable, CustomStringConvertible {
    var revision: Int64
    var compacted: Int64
    /// Every key-value at every retained revision.
    var history: [[KeyValue]]
    var leases: [String]
    var auth: AuthStore.Contents

    init(_ store: Store) throws {
        revision = store.revision
        compacted = store.compactedRevision
        history = []
        for revision in max(1, compacted)...revision {
            history.append(try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: revision)).kvs)
        }
        leases = store.leases().leases.map { id in
            let info = store.leaseTimeToLive(id, keys: true)
            return "\(id) ttl \(info.grantedTTL) keys \(info.keys.map { String(decoding: $0, as: UTF8.self) })"
        }.sorted()
        auth = store.auth.contents
    }

    var description: String { "revision \(revision) compacted \(compacted) leases \(leases) auth revision \(auth.revision)" }
}

struct StoreJournalTests {
    @Test func recordsRoundTrip() throws {
        let records: [JournalRecord] = [
            .changes(revision: 7, [.put(key: [1, 2], value: [], lease: 0), .delete(key: [9]), .put(key: [0], value: [7, 7, 7], lease: -3)]),
            .compaction(revision: 12),
            .leaseGrant(id: 77, ttl: 9_000_000_000),
            .leaseRemoval(id: -1),
            .auth(AuthStore.Contents()),
            .auth(AuthStore.Contents(enabled: true, revision: 9,
                                     users: [AuthStore.User(name: "root", roles: ["root"], password: nil)],
                                     roles: [AuthStore.Role(name: "root", permissions: [])])),
        ]
        for record in records {
            let bytes = record.encoded
            let decoded = try bytes.withUnsafeBytes { buffer throws(JournalError) in try JournalRecord.decode(buffer) }
            #expect(decoded == record)
        }
    }

    /// Random bytes, and every truncation of real records, are refused with an error, never a trap.
    @Test func decoderRefusesGarbage() {
        var random = SeededGenerator(seed: 0x5EED_0010)
        let valid = JournalRecord.changes(revision: 3, [.put(key: [1], value: [2, 3], lease: 4), .delete(key: [5])]).encoded
        for cut in 0..<valid.count {
            let prefix = Array(valid[0..<cut])
            #expect(throws: JournalError.self) { try prefix.withUnsafeBytes { b throws(JournalError) in try JournalRecord.decode(b) } }
        }
        var decoded = 0
        for _ in 0..<50_000 {
            var bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty && Bool.random(using: &random) { bytes[0] = UInt8.random(in: 1...5, using: &random) }
            if (try? bytes.withUnsafeBytes { b throws(JournalError) in try JournalRecord.decode(b) }) != nil { decoded += 1 }
        }
        #expect(decoded < 50_000)
    }

    /// A seeded random workload (puts, deletes, transactions, leases granted, revoked and expired,
    /// compactions, auth changes): replaying what the store journaled onto a fresh store gives the same
    /// store, at the end and after every prefix of the records.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func replayReproducesTheStore(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        let configuration = StoreConfiguration(clock: clock, passwordHashIterations: 1)
        let store = Store(configuration: configuration)
        let journal = CapturingJournal()
        store.attachJournal(journal)
        var checkpoints: [(records: Int, fingerprint: StoreFingerprint)] = []
        let keys = (0..<12).map { Array("key/\($0)".utf8) }
        for step in 0..<300 {
            let key = keys.randomElement(using: &random)!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:
                let leases = store.leases().leases
                let lease = Bool.random(using: &random) ? (leases.randomElement(using: &random) ?? 0) : 0
                _ = try? store.put(PutRequest(key: key, value: Array("v\(step)".utf8), lease: lease))
            case 40..<50:
                _ = try? store.deleteRange(DeleteRangeRequest(key: key, rangeEnd: Bool.random(using: &random) ? Array("key0".utf8) : []))
            case 50..<62:
                let other = keys.randomElement(using: &random)!
                let txn = TxnRequest(compare: [Compare(key: key, result: .greater, target: .version(Int64.random(in: 0...2, using: &random)))],
                                     success: [.put(PutRequest(key: key, value: [UInt8(step % 256)])), .deleteRange(DeleteRangeRequest(key: other == key ? keys[0] : other))],
                                     failure: [.put(PutRequest(key: other, value: [1, 2])), .range(RangeRequest(key: key))])
                _ = try? store.txn(txn)
            case 62..<70:
                _ = try? store.grantLease(ttl: Int64.random(in: 1...20, using: &random), attaching: Bool.random(using: &random) ? [key] : [])
            case 70..<75:
                if let id = store.leases().leases.randomElement(using: &random) { _ = try? store.revokeLease(id) }
            case 75..<82:
                clock.advance(seconds: Int64.random(in: 1...8, using: &random))
                store.expireLeases()
            case 82..<86:
                if let id = store.leases().leases.randomElement(using: &random) { _ = try? store.keepAliveLease(id) }
            case 86..<92:
                let low = store.compactedRevision + 1
                if low <= store.revision { _ = try? store.compact(Int64.random(in: low...store.revision, using: &random)) }
            case 92..<95:
                _ = try? store.put(PutRequest(key: key, value: [9]), ttl: 30)
            default:
                switch Int.random(in: 0..<5, using: &random) {
                case 0: try? store.auth.addUser("user\(step % 4)", password: "p\(step)")
                case 1: try? store.auth.addRole("role\(step % 3)")
                case 2: try? store.auth.grantPermission(Permission(kind: .readwrite, key: key), to: "role\(step % 3)")
                case 3: try? store.auth.grantRole("role\(step % 3)", to: "user\(step % 4)")
                default: try? store.auth.deleteUser("user\(step % 4)")
                }
            }
            checkpoints.append((journal.all.count, try StoreFingerprint(store)))
        }
        let records = journal.all
        #expect(records.count > 200, "the workload journaled \(records.count) records")
        // The whole journal, then every checkpoint's prefix, replayed onto a fresh store.
        let replayed = Store(configuration: configuration)
        var applied = 0
        for checkpoint in checkpoints {
            while applied < checkpoint.records {
                let record = try records[applied].withUnsafeBytes { b throws(JournalError) in try JournalRecord.decode(b) }
                try replayed.replay(record)
                applied += 1
            }
            // Leases' remaining time differs (it restarts at replay); what they are and hold must not.
            #expect(try StoreFingerprint(replayed) == checkpoint.fingerprint, "seed \(seed), after \(applied) records")
        }
        // Replaying it all again changes nothing (records already in the store are skipped).
        let before = try StoreFingerprint(replayed)
        for bytes in records {
            try replayed.replay(try bytes.withUnsafeBytes { b throws(JournalError) in try JournalRecord.decode(b) })
        }
        #expect(try StoreFingerprint(replayed) == before)
    }

    /// A record that does not follow the store's state is refused, not applied out of order.
    @Test func gapsAreRefused() throws {
        let store = Store()
        try store.put("a", "1")  // revision 2
        #expect(throws: JournalError.self) { try store.replay(.changes(revision: 4, [.put(key: [1], value: [], lease: 0)])) }
        #expect(throws: JournalError.self) { try store.replay(.changes(revision: 3, [.delete(key: Array("missing".utf8))])) }
        #expect(throws: JournalError.self) { try store.replay(.compaction(revision: 9)) }
        #expect(try store.replay(.changes(revision: 2, [.put(key: [1], value: [], lease: 0)])) == false, "already in the store")
        #expect(store.revision == 2)
    }
}
