import Glibc
import Testing
@testable import KVStore
import TestSupport

/// Stores written as etcd's backend database and read back: randomized histories (puts, deletes,
/// transactions, compactions, leases, auth) give identical stores; etcd's encodings byte for byte; the
/// corruption sweep over a whole etcd file, checked against bbolt itself where Go is installed.
@Suite struct EtcdBackendTests {
    private func history(_ store: Store, from: Int64, to: Int64) throws -> [[KeyValue]] {
        try (from...to).map { try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: $0)).kvs }
    }

    static func randomStore(seed: UInt64, clock: ManualClock, steps: Int = 400) throws -> Store {
        var rng = SeededGenerator(seed: seed)
        let store = Store(configuration: StoreConfiguration(clusterID: 11, memberID: 22, clock: clock, treeNodeCapacity: 5,
                                                            passwordHashIterations: 1))
        var leases: [Int64] = []
        func key() -> [UInt8] { (0..<Int.random(in: 1...3, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        func value() -> [UInt8] {
            let large = Int.random(in: 0..<60, using: &rng) == 0
            return (0..<Int.random(in: 0...(large ? 20_000 : 40), using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        for step in 0..<steps {
            switch Int.random(in: 0..<12, using: &rng) {
            case 0..<5:
                let lease = leases.isEmpty || Bool.random(using: &rng) ? 0 : leases.randomElement(using: &rng)!
                _ = try store.put(PutRequest(key: key(), value: value(), lease: lease))
            case 5..<7:
                _ = try store.deleteRange(DeleteRangeRequest(key: key(), rangeEnd: Bool.random(using: &rng) ? [] : [0xff]))
            case 7:
                leases.append(try store.grantLease(ttl: Int64.random(in: 5...100, using: &rng)).id)
            case 8:
                if step % 30 == 0, store.revision > store.compactedRevision + 5 {
                    try store.compact(store.compactedRevision + Int64.random(in: 1...5, using: &rng))
                }
            case 9:
                let ops: [RequestOp] = (0..<Int.random(in: 1...4, using: &rng)).map { i in
                    i % 3 == 2 ? .deleteRange(DeleteRangeRequest(key: key())) : .put(PutRequest(key: key() + [UInt8(i)], value: value()))
                }
                _ = try store.txn(TxnRequest(compare: [], success: ops))
            case 10:
                let name = "u\(Int.random(in: 0..<5, using: &rng))"
                _ = try? store.auth.addUser(name, password: Bool.random(using: &rng) ? "pw-\(name)" : nil)
                let role = "r\(Int.random(in: 0..<3, using: &rng))"
                _ = try? store.auth.addRole(role)
                _ = try? store.auth.grantPermission(Permission(kind: Permission.Kind(rawValue: Int.random(in: 0...2, using: &rng))!,
                                                               key: key(), rangeEnd: Bool.random(using: &rng) ? [] : [0]), to: role)
                _ = try? store.auth.grantRole(role, to: name)
            default:
                if let id = leases.popLast() { _ = try store.revokeLease(id) }
            }
            if step % 40 == 0 { clock.advance(seconds: 1) }
        }
        if seed % 2 == 0 {
            _ = try? store.auth.addUser("root", password: "rootpw")
            try store.auth.enable()
        }
        return store
    }

    static func export(_ store: Store, revision: Int64 = 0, chunkSize: Int = 1 << 16) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.writeEtcdSnapshot(revision: revision, chunkSize: chunkSize) { bytes.append(contentsOf: $0) }
        return bytes
    }

    static func importing(_ bytes: [UInt8], clock: ManualClock) throws -> Store {
        try bytes.withUnsafeBytes { try Store.restoreEtcdBackend($0, configuration: StoreConfiguration(clusterID: 11, memberID: 22, clock: clock), requireHash: false) }
    }

    @Test(arguments: Array(1...10) as [UInt64])
    func exportImportRoundTripIsIdentical(seed: UInt64) throws {
        print("EtcdBackendTests seed \(seed)")
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let original = try Self.randomStore(seed: seed, clock: clock)
        let bytes = try Self.export(original, chunkSize: Int(seed) * 5000)
        #expect(bytes.count % 4096 == 0)
        let restored = try Self.importing(bytes, clock: clock)
        #expect(restored.revision == original.revision, "seed \(seed)")
        #expect(restored.compactedRevision == original.compactedRevision, "seed \(seed)")
        let from = max(1, original.compactedRevision)
        #expect(try history(restored, from: from, to: original.revision) == history(original, from: from, to: original.revision), "seed \(seed)")
        let leases = original.leases().leases
        #expect(restored.leases().leases.sorted() == leases.sorted(), "seed \(seed)")
        for id in leases {
            let a = original.leaseTimeToLive(id, keys: true), b = restored.leaseTimeToLive(id, keys: true)
            #expect(a.grantedTTL == b.grantedTTL && a.keys == b.keys, "seed \(seed) lease \(id)")
            #expect(b.ttl >= a.ttl && b.ttl - a.ttl <= 1, "seed \(seed): the remaining TTL is kept (rounded up to a second)")
        }
        #expect(restored.auth.contents == original.auth.contents, "seed \(seed)")
        #expect(restored.sizeInBytes == original.sizeInBytes, "seed \(seed)")
        #expect(restored.state.withLock { $0.index.invariantViolations() }.isEmpty)
        // Exporting the restored store gives the same file: nothing was lost or reordered.
        #expect(try Self.export(restored) == bytes, "seed \(seed)")
        // Inspecting agrees with etcdctl's rules: the newest revision in the key bucket, whole pages.
        let info = try bytes.withUnsafeBytes { try Store.inspectEtcdBackend($0) }
        #expect(info.format == .etcd && info.totalBytes == bytes.count)
        #expect(info.revision <= original.revision && info.compactedRevision == original.compactedRevision)
    }

    @Test func pastRevisionExportHoldsThatState() throws {
        let clock = ManualClock()
        let store = try Self.randomStore(seed: 5, clock: clock)
        let revision = (store.compactedRevision + store.revision) / 2
        let restored = try Self.importing(try Self.export(store, revision: revision), clock: clock)
        #expect(restored.revision == revision)
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).kvs == store.range(RangeRequest(key: [0], rangeEnd: [0], revision: revision)).kvs)
    }

    @Test func restoreRecognizesTheFormatAndChecksTheStreamHash() throws {
        let store = Store()
        try store.put("a", "1")
        let db = try Self.export(store)
        let streamed = db + SHA256.hash(db)
        let restored = try Store.restore(from: source(streamed))
        #expect(try restored.get("a")?.valueString == "1")
        var damaged = streamed
        damaged[4096 * 4 - 1] ^= 1   // unused bytes at the end of the last page: only the hash notices
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(damaged)) }
        _ = try Store.restore(skipHashCheck: true, from: source(damaged))
        // Without the trailer, as etcdctl: refused unless the hash check is skipped.
        #expect(throws: SnapshotError.etcdBackend("snapshot missing hash but --skip-hash-check=false")) { try Store.restore(from: source(db)) }
        #expect(try Store.restore(skipHashCheck: true, from: source(db)).revision == 2)
        let info = try Store.inspectSnapshot(from: source(streamed))
        #expect(info.format == .etcd && info.revision == 2 && info.totalBytes == db.count)
    }

    @Test func encodingsAreEtcds() throws {
        #expect(EtcdBuckets.revisionKey(main: 5, sub: 2) == [0, 0, 0, 0, 0, 0, 0, 5, 0x5f, 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(EtcdBuckets.revisionKey(main: 258, sub: 0, tombstone: true) == [0, 0, 0, 0, 0, 0, 1, 2, 0x5f, 0, 0, 0, 0, 0, 0, 0, 0, 0x74])
        let record = KVRecord.make(key: Array("foo".utf8), value: Array("bar".utf8), createRevision: 2, modRevision: Revision(main: 3, sub: 0),
                                   version: 2, lease: 0x1234)
        var bytes = [UInt8](repeating: 0, count: EtcdKeyValue.size(of: record))
        bytes.withUnsafeMutableBytes { EtcdKeyValue.write(record, to: $0.baseAddress!) }
        // key=1 "foo", create_revision=2, mod_revision=3, version=2, value=5 "bar", lease=6 0x1234
        #expect(bytes == [0x0a, 3, 0x66, 0x6f, 0x6f, 0x10, 2, 0x18, 3, 0x20, 2, 0x2a, 3, 0x62, 0x61, 0x72, 0x30, 0xb4, 0x24])
        let tombstone = KVRecord.tombstone(of: record, at: Revision(main: 4, sub: 0))
        #expect(EtcdKeyValue.size(of: tombstone) == 5)
        let decoded = try bytes.withUnsafeBytes { try EtcdKeyValue(decoding: $0) }
        #expect(decoded.key == Array("foo".utf8) && decoded.createRevision == 2 && decoded.modRevision == 3 && decoded.lease == 0x1234)
        let hash = PasswordHash(salt: [1, 2], iterations: 7, digest: [0xab])
        #expect(String(decoding: EtcdBuckets.encodePassword(hash), as: UTF8.self) == "$kvserver-pbkdf2-sha256$7$0102$ab")
        #expect(EtcdBuckets.decodePassword(EtcdBuckets.encodePassword(hash)) == hash)
        #expect(EtcdBuckets.decodePassword(Array("$2a$10$abcdefghijklmnopqrstuv".utf8)) == nil)
    }

    /// Every truncation and every single-byte flip of an etcd file (no trailer, so the bbolt and etcd
    /// checks are what is tested, not the SHA-256): refused with a typed error, or read — and then
    /// either identical to the original (the flip hit bytes bbolt never reads) or, where it differs,
    /// exactly what bbolt itself reads (its CRC-32C over every bucket, from scripts/bolt-oracle).
    @Test func corruptionSweep() throws {
        let clock = ManualClock()
        let store = Store(configuration: StoreConfiguration(clock: clock, passwordHashIterations: 1))
        for i in 0..<40 { try store.put("key/\(i % 17)", "value \(i)") }
        _ = try store.delete("key/3")
        try store.compact(10)
        _ = try store.grantLease(ttl: 60, id: 77)
        try store.put(PutRequest(key: Array("leased".utf8), value: [1], lease: 77))
        try store.auth.addUser("alice", password: "pw")
        try store.auth.addRole("reader")
        try store.auth.grantPermission(Permission(kind: .read, key: Array("key/".utf8), rangeEnd: [0]), to: "reader")
        try store.auth.grantRole("reader", to: "alice")
        // Large enough that the key bucket is not inline: leaves, and a value on overflow pages.
        try store.put("big", String(repeating: "x", count: 6000))
        for i in 0..<60 { try store.put("many/\(i)", "v") }
        let bytes = try Self.export(store)
        let original = try bytes.withUnsafeBytes { try Store.inspectEtcdBackend($0) }
        print("corruption sweep over a \(bytes.count)-byte etcd file (\(bytes.count / 4096) pages)")

        var truncationsRefused = 0
        for length in 0..<bytes.count {
            let cut = Array(bytes[..<length])
            if (try? cut.withUnsafeBytes { try Store.inspectEtcdBackend($0) }) == nil { truncationsRefused += 1 }
        }
        #expect(truncationsRefused == bytes.count, "every truncation is refused")

        // bbolt reads every 8th flip that reads differently (all of them with KV_SWEEP_ALL=1).
        let checkEveryFlip = getenv("KV_SWEEP_ALL") != nil
        var readDifferently = 0
        var refused = 0, identical = 0, different: [(path: String, info: SnapshotInfo)] = [], sampleOfIdentical: [(path: String, info: SnapshotInfo)] = []
        var rng = SeededGenerator(seed: 18)
        for position in 0..<bytes.count {
            var damaged = bytes
            damaged[position] ^= UInt8.random(in: 1...255, using: &rng)
            let info: SnapshotInfo
            do {
                info = try damaged.withUnsafeBytes { (file) throws(SnapshotError) in
                    let info = try Store.inspectEtcdBackend(file)
                    _ = try Store.restoreEtcdBackend(file, requireHash: false)
                    return info
                }
            } catch {
                refused += 1
                continue
            }
            let path = "/tmp/kv-etcd-sweep-\(getpid())-\(position).db"
            if info.hash == original.hash && info.etcdKeyCount == original.etcdKeyCount {
                identical += 1
                if identical % 50 == 1 { BoltTestSupport.writeFile(path, damaged); sampleOfIdentical.append((path, info)) }
            } else if checkEveryFlip || position % 8 == 0 {
                BoltTestSupport.writeFile(path, damaged)
                different.append((path, info))
            } else {
                readDifferently += 1
            }
        }
        print("flips: \(bytes.count) — refused \(refused), read identically \(identical), read differently \(readDifferently + different.count)")
        let checked = different + sampleOfIdentical
        let verdicts = BoltTestSupport.oracleVerdicts(checked.map(\.path))
        if !verdicts.isEmpty {
            var agreed = 0
            for file in checked {
                let verdict = verdicts[file.path] ?? "missing"
                #expect(verdict == "ok \(file.info.etcdHash) \(file.info.etcdKeyCount)", "bbolt reads \(file.path) as: \(verdict)")
                if verdict == "ok \(file.info.etcdHash) \(file.info.etcdKeyCount)" { agreed += 1 }
            }
            print("bbolt read the same as kvserver in \(agreed) of \(checked.count) accepted flips checked")
        }
        for file in checked { unlink(file.path) }
    }
}
