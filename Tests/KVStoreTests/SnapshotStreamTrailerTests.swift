import Testing
@testable import KVStore

/// A snapshot sent as etcd's Maintenance.Snapshot stream gets zero padding to a multiple of 512 and a
/// SHA-256 of everything before it; what etcdctl saves from that stream must restore as the file does.
@Suite struct SnapshotStreamTrailerTests {
    private func streamed(_ file: [UInt8]) -> [UInt8] {
        var bytes = file + [UInt8](repeating: 0, count: SnapshotStreamTrailer.padding(afterFileOfLength: file.count))
        bytes += SHA256.hash(bytes)
        return bytes
    }

    private func sampleStore(keys: Int) throws -> Store {
        let store = Store()
        for index in 0..<keys { _ = try store.put(PutRequest(key: Array("k\(index)".utf8), value: Array(repeating: 7, count: index % 50))) }
        return store
    }

    @Test(arguments: [0, 1, 17, 300])
    func streamedFileRestoresAndHasEtcdsSize(keys: Int) throws {
        let store = try sampleStore(keys: keys)
        let file = try save(store)
        let bytes = streamed(file)
        #expect(bytes.count % 512 == 32)
        let restored = try Store.restore(from: source(bytes, step: 333))
        #expect(restored.revision == store.revision)
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).count == Int64(keys))
        let info = try Store.inspectSnapshot(from: source(bytes))
        #expect(info.keyCount == keys)
    }

    @Test func badPaddingOrHashIsRefused() throws {
        let file = try save(try sampleStore(keys: 5))
        var bytes = streamed(file)
        var flippedHash = bytes
        flippedHash[flippedHash.count - 1] ^= 1
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(flippedHash)) }
        _ = try Store.restore(skipHashCheck: true, from: source(flippedHash))
        if file.count % 512 != 0 {
            bytes[file.count] = 1
            #expect(throws: SnapshotError.self) { try Store.restore(skipHashCheck: true, from: source(bytes)) }
        }
        let truncated = Array(streamed(file).dropLast(1))
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(truncated)) }
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(streamed(file) + [0])) }
    }
}
