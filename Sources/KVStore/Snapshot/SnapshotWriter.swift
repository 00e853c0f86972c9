/// Streams a snapshot into fixed-size chunks handed to a sink, hashing as it goes; never holds more
/// than one chunk in memory (a value larger than half a chunk goes to the sink straight from the
/// record, uncopied).
final class SnapshotWriter {
    private let storage: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var hasher = SHA256()
    private(set) var written = 0

    /// Bytes encoded but not yet handed to the sink.
    var buffered: Int { used }

    init(chunkSize: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        capacity = max(4096, chunkSize)
        storage = .allocate(byteCount: capacity, alignment: 16)
        self.sink = sink
    }

    deinit { storage.deallocate() }

    /// Makes room for `count` more bytes (count ≤ capacity).
    @inline(__always)
    private func reserve(_ count: Int) throws {
        if used + count > capacity { try flush() }
    }

    func byte(_ value: UInt8) throws {
        try reserve(1)
        storage.storeBytes(of: value, toByteOffset: used, as: UInt8.self)
        used += 1
    }

    func fixed64(_ value: UInt64) throws {
        try reserve(8)
        storage.storeBytes(of: value.littleEndian, toByteOffset: used, as: UInt64.self)
        used += 8
    }

    func fixed32(_ value: UInt32) throws {
        try reserve(4)
        storage.storeBytes(of: value.littleEndian, toByteOffset: used, as: UInt32.self)
        used += 4
    }

    func varint(_ value: UInt64) throws {
        try reserve(10)
        var v = value
        while v >= 0x80 {
            storage.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: used, as: UInt8.self)
            used += 1
            v >>= 7
        }
        storage.storeBytes(of: UInt8(v), toByteOffset: used, as: UInt8.self)
        used += 1
    }

    func varint(_ value: Int64) throws { try varint(UInt64(bitPattern: value)) }

    func zigzag(_ value: Int64) throws {
        try varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A length-prefixed byte string.
    func bytes(_ buffer: UnsafeRawBufferPointer) throws {
        try varint(UInt64(buffer.count))
        try raw(buffer)
    }

    func raw(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        if buffer.count > capacity / 2 {
            try flush()
            try emit(buffer)
            return
        }
        try reserve(buffer.count)
        (storage + used).copyMemory(from: buffer.baseAddress!, byteCount: buffer.count)
        used += buffer.count
    }

    func raw(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try raw($0) }
    }

    private func emit(_ buffer: UnsafeRawBufferPointer) throws {
        hasher.update(buffer)
        try sink(buffer)
        written += buffer.count
    }

    func flush() throws {
        guard used > 0 else { return }
        let chunk = UnsafeRawBufferPointer(start: storage, count: used)
        used = 0
        try emit(chunk)
    }

    /// Flushes, then writes the trailer (hash of everything before it, and the end magic) unhashed.
    func finish() throws -> [UInt8] {
        try flush()
        let digest = hasher.finalize()
        let trailer = digest + SnapshotFormat.endMagic
        try trailer.withUnsafeBytes { try sink($0) }
        written += trailer.count
        return digest
    }
}
