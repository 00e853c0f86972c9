import Glibc
import Testing
@testable import KVStore
import TestSupport

/// The bbolt writer and reader: random bucket contents written and read back (many keys so trees get
/// branch levels, large values so leaves overflow, small buckets inline), checked by our own reader
/// and, where Go and Debian's bbolt sources are installed, by bbolt itself.
@Suite struct BoltTests {
    typealias Bucket = (name: [UInt8], entries: [(key: [UInt8], value: [UInt8])])

    static func randomBuckets(seed: UInt64, maxKeys: Int, largeValues: Bool) -> [Bucket] {
        var random = SeededGenerator(seed: seed)
        var names = Set<[UInt8]>()
        while names.count < Int.random(in: 1...6, using: &random) {
            names.insert((0..<Int.random(in: 1...12, using: &random)).map { _ in UInt8.random(in: 97...122, using: &random) })
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map { name in
            let count = Int.random(in: 0...maxKeys, using: &random)
            var keys = Set<[UInt8]>()
            for _ in 0..<count {
                let length = Int.random(in: 0..<100, using: &random) == 0 ? Int.random(in: 100...3000, using: &random) : Int.random(in: 1...24, using: &random)
                keys.insert((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            let entries = keys.map { key -> (key: [UInt8], value: [UInt8]) in
                let large = largeValues && Int.random(in: 0..<50, using: &random) == 0
                let length = large ? Int.random(in: 4000...40_000, using: &random) : Int.random(in: 0...120, using: &random)
                return (key, (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            return (name, entries)
        }
    }

    static func expectRoundTrip(_ buckets: [Bucket], pageSize: Int, seed: UInt64) throws -> [UInt8] {
        let bytes = BoltTestSupport.write(buckets, pageSize: pageSize, chunk: Int(seed % 3) * 40_000 + 1)
        #expect(bytes.count % pageSize == 0)
        let read = try BoltTestSupport.read(bytes)
        #expect(read.buckets.count == buckets.count, "seed \(seed)")
        for bucket in buckets {
            let got = try #require(read.buckets[bucket.name], "seed \(seed): bucket missing")
            #expect(got.count == bucket.entries.count, "seed \(seed)")
            #expect(zip(got, bucket.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }, "seed \(seed)")
        }
        return bytes
    }

    @Test(arguments: [1024, 4096, 16384])
    func randomBucketsRoundTrip(pageSize: Int) throws {
        var files: [(path: String, crc: UInt32, entries: Int)] = []
        for seed in UInt64(1)...12 {
            let buckets = Self.randomBuckets(seed: seed &* 7919 &+ UInt64(pageSize), maxKeys: seed < 4 ? 3 : 3000, largeValues: seed % 2 == 0)
            let bytes = try Self.expectRoundTrip(buckets, pageSize: pageSize, seed: seed)
            let read = try BoltTestSupport.read(bytes)
            let path = "/tmp/kv-bolt-\(getpid())-\(pageSize)-\(seed).db"
            BoltTestSupport.writeFile(path, bytes)
            files.append((path, read.crc, read.entries))
        }
        let verdicts = BoltTestSupport.oracleVerdicts(files.map(\.path))
        print("bbolt oracle read \(verdicts.count) of \(files.count) files (page size \(pageSize))")
        for file in files {
            if let verdict = verdicts[file.path] { #expect(verdict == "ok \(file.crc) \(file.entries)", "bbolt on \(file.path)") }
            unlink(file.path)
        }
    }

    @Test func manyKeysMakeThreeLevels() throws {
        // 200,000 keys of 16 bytes: about 1,100 leaves, so a root branch above a level of branches.
        let entries = (0..<200_000).map { i -> (key: [UInt8], value: [UInt8]) in
            let key = withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) } + [UInt8](repeating: 7, count: 8)
            return (key, Array("v\(i)".utf8))
        }
        let bytes = try Self.expectRoundTrip([(Array("key".utf8), entries), (Array("meta".utf8), [(Array("x".utf8), [1])])], pageSize: 4096, seed: 0)
        try bytes.withUnsafeBytes { file in
            let reader = try BoltReader(file)
            let root = try #require(try reader.buckets().first { $0.name == Array("key".utf8) })
            guard case .page(let id) = root.root else { Issue.record("key bucket inline"); return }
            let page = try reader.page(id, expecting: BoltFormat.branchPage)
            let firstChild = UnsafeRawBufferPointer(rebasing: file[page]).u64(16 + 8)
            _ = try reader.page(firstChild, expecting: BoltFormat.branchPage)
        }
    }

    @Test func smallBucketsAreInlineAndLargeOnesAreNot() throws {
        let small: Bucket = (Array("a".utf8), [(Array("k".utf8), Array("v".utf8))])
        let empty: Bucket = (Array("b".utf8), [])
        let large: Bucket = (Array("c".utf8), [(Array("k".utf8), [UInt8](repeating: 1, count: 2000))])
        let bytes = try Self.expectRoundTrip([small, empty, large], pageSize: 4096, seed: 0)
        // meta, meta, freelist, c's leaf, the root leaf.
        #expect(bytes.count == 5 * 4096)
        try bytes.withUnsafeBytes { file in
            let roots = try BoltReader(file).buckets().map(\.root)
            guard case .inline = roots[0], case .inline = roots[1], case .page(3) = roots[2] else {
                Issue.record("unexpected roots \(roots)")
                return
            }
        }
    }

    @Test func overflowPagesHoldLargeValues() throws {
        let value = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = try Self.expectRoundTrip([(Array("big".utf8), [(Array("a".utf8), [1]), (Array("b".utf8), value), (Array("c".utf8), [2])])],
                                             pageSize: 4096, seed: 0)
        try bytes.withUnsafeBytes { file in
            let reader = try BoltReader(file)
            // b's leaf is alone and spans 25 pages (16 + 16 + 1 + 100,000 bytes).
            let range = try reader.page(4, expecting: BoltFormat.leafPage)
            #expect(range.count == 25 * 4096)
        }
    }

    @Test func metaPagesFallBackAndChecksumsAreChecked() throws {
        var bytes = BoltTestSupport.write([(Array("a".utf8), [(Array("k".utf8), Array("v".utf8))])])
        // Damaging meta 0's checksum leaves meta 1, which says the same.
        bytes[16 + 56] ^= 1
        #expect(try BoltTestSupport.read(bytes).entries == 1)
        bytes[4096 + 16 + 56] ^= 1
        #expect(throws: BoltError.invalidMeta("meta checksum mismatch")) { try BoltTestSupport.read(bytes) }
        #expect(throws: BoltError.self) { try BoltTestSupport.read([UInt8](repeating: 0, count: 8192)) }
        #expect(throws: BoltError.self) { try BoltTestSupport.read([]) }
    }

    @Test func fnv64aKnownValues() {
        #expect([UInt8]().withUnsafeBytes { BoltFormat.fnv64a($0) } == 0xcbf2_9ce4_8422_2325)
        #expect(Array("a".utf8).withUnsafeBytes { BoltFormat.fnv64a($0) } == 0xaf63_dc4c_8601_ec8c)
        #expect(Array("foobar".utf8).withUnsafeBytes { BoltFormat.fnv64a($0) } == 0x8594_4171_f739_67e8)
    }

    @Test func crc32cKnownValue() {
        var crc = CRC32C()
        crc.update(Array("123456789".utf8))
        #expect(crc.value == 0xE306_9283)
    }
}
