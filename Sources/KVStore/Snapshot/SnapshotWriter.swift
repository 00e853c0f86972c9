/// Streams a snapshot into fixed-size chunks handed to a sink, hashing as it goes; never holds more
/// than one chunk (plus one value) in memory.
struct SnapshotWriter {
    private var chunk: [UInt8] = []
    private let chunkSize: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private(set) var hasher = SHA256()
    private(set) var written = 0

    init(chunkSize: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.chunkSize = max(4096, chunkSize)
        self.sink = sink
        chunk.reserveCapacity(self.chunkSize + 64)
    }

    mutating func byte(_ value: UInt8) throws {
        chunk.append(value)
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func fixed64(_ value: UInt64) throws {
        for shift in stride(from: 0, to: 64, by: 8) { chunk.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func fixed32(_ value: UInt32) throws {
        for shift in stride(from: 0, to: 32, by: 8) { chunk.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func varint(_ value: UInt64) throws {
        var v = value
        while v >= 0x80 {
            chunk.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        chunk.append(UInt8(v))
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func varint(_ value: Int64) throws { try varint(UInt64(bitPattern: value)) }

    mutating func zigzag(_ value: Int64) throws {
        try varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func bytes(_ buffer: UnsafeRawBufferPointer) throws {
        try varint(UInt64(buffer.count))
        chunk.append(contentsOf: buffer.assumingMemoryBound(to: UInt8.self))
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func raw(_ bytes: [UInt8]) throws {
        chunk.append(contentsOf: bytes)
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func flush() throws {
        guard !chunk.isEmpty else { return }
        try chunk.withUnsafeBytes { buffer in
            hasher.update(buffer)
            try sink(buffer)
        }
        written += chunk.count
        chunk.removeAll(keepingCapacity: true)
    }

    /// Flushes, then writes the trailer (hash of everything before it, and the end magic) unhashed.
    mutating func finish() throws -> [UInt8] {
        try flush()
        let digest = hasher.finalize()
        let trailer = digest + SnapshotFormat.endMagic
        try trailer.withUnsafeBytes { try sink($0) }
        written += trailer.count
        return digest
    }
}
