@testable import KVStore

// Helpers shared by the snapshot tests.

/// An in-memory source over bytes, handing out at most `step` bytes per call.
func source(_ bytes: [UInt8], step: Int = 4096) -> (UnsafeMutableRawBufferPointer) throws -> Int {
    var offset = 0
    return { buffer in
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
        offset += n
        return n
    }
}

func save(_ store: Store, revision: Int64 = 0, chunkSize: Int = 4096) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try store.writeSnapshot(revision: revision, createdAt: 1_700_000_000_000_000_000, chunkSize: chunkSize) { bytes.append(contentsOf: $0) }
    return bytes
}

/// A snapshot file built by hand: a version-1 header at `revision` (created at the time `save`
/// records), then `body` (the records, end record included), then a correct trailer — so a test can
/// craft records the writer never produces and see the reader's own checks, not the checksum's.
func assemble(revision: Int64 = 1, _ body: [UInt8]) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    var bytes = Array("KVSNAP\r\n".utf8) + le(UInt32(1)) + le(UInt32(0)) + le(revision) + le(Int64(0))
    bytes += le(UInt64(1_700_000_000_000_000_000)) + le(UInt64(0)) + le(UInt64(0)) + le(UInt64(0))
    bytes += body
    return bytes + SHA256.hash(bytes) + Array("KVSNEND\n".utf8)
}

/// A length-prefixed UTF-8 string as records hold it (lengths below 128 only).
func lengthPrefixed(_ text: String) -> [UInt8] {
    let utf8 = Array(text.utf8)
    precondition(utf8.count < 128)
    return [UInt8(utf8.count)] + utf8
}
