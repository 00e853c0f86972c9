/// Reads a snapshot from a source in chunks, tracking the byte offset for error messages and hashing
/// everything it consumes before the trailer.
struct SnapshotReader {
    private var buffer: [UInt8] = []
    private var position = 0
    /// Offset in the file of `buffer[0]`.
    private var base = 0
    private var atEnd = false
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private(set) var hasher = SHA256()
    private var hashedUpTo = 0
    private let chunkSize = 1 << 16

    init(source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.source = source
    }

    var offset: Int { base + position }

    /// Makes at least `count` bytes available unless the source ends first.
    /// - Returns: whether they are available.
    private mutating func fill(_ count: Int) throws(SnapshotError) -> Bool {
        if buffer.count - position >= count { return true }
        // Hash and drop what has been consumed.
        hashConsumed()
        buffer.removeSubrange(0..<position)
        base += position
        hashedUpTo -= position
        position = 0
        while buffer.count < count, !atEnd {
            let old = buffer.count
            // Grow by a chunk at a time: a corrupted length must not make the reader allocate what the
            // file cannot hold.
            let want = chunkSize
            buffer.append(contentsOf: repeatElement(0, count: want))
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { try source(UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
            } catch {
                throw .io("reading failed: \(error)")
            }
            buffer.removeSubrange((old + max(0, got))...)
            if got <= 0 { atEnd = true }
        }
        return buffer.count - position >= count
    }

    /// Feeds the consumed bytes to the hash.
    private mutating func hashConsumed() {
        if position > hashedUpTo {
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[hashedUpTo..<position])) }
            hashedUpTo = position
        }
    }

    /// The digest of every byte consumed so far.
    mutating func digest() -> [UInt8] {
        hashConsumed()
        return hasher.finalize()
    }

    /// Whether the source has no more bytes.
    mutating func isAtEnd() throws(SnapshotError) -> Bool { try !fill(1) }

    mutating func bytes(_ count: Int, expecting what: String) throws(SnapshotError) -> [UInt8] {
        guard try fill(count) else { throw .truncated(offset: offset + (buffer.count - position), expecting: what) }
        defer { position += count }
        return Array(buffer[position..<(position + count)])
    }

    /// Calls `body` with the next `count` bytes in place (valid only during the call).
    mutating func withBytes<R>(_ count: Int, expecting what: String, _ body: (UnsafeRawBufferPointer) -> R) throws(SnapshotError) -> R {
        guard try fill(count) else { throw .truncated(offset: offset + (buffer.count - position), expecting: what) }
        defer { position += count }
        let start = position
        return buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    mutating func byte(expecting what: String) throws(SnapshotError) -> UInt8 {
        guard try fill(1) else { throw .truncated(offset: offset, expecting: what) }
        defer { position += 1 }
        return buffer[position]
    }

    mutating func fixed64(expecting what: String) throws(SnapshotError) -> UInt64 {
        let raw = try bytes(8, expecting: what)
        return raw.reversed().reduce(0) { ($0 << 8) | UInt64($1) }
    }

    mutating func fixed32(expecting what: String) throws(SnapshotError) -> UInt32 {
        let raw = try bytes(4, expecting: what)
        return raw.reversed().reduce(0) { ($0 << 8) | UInt32($1) }
    }

    mutating func varint(expecting what: String) throws(SnapshotError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(expecting: what)
            if shift == 63, b > 1 { throw .corrupt(offset: start, reason: "\(what) overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .corrupt(offset: start, reason: "\(what) overflows 64 bits") }
        }
    }

    mutating func int(expecting what: String, max limit: Int64 = .max) throws(SnapshotError) -> Int64 {
        let start = offset
        let value = try varint(expecting: what)
        guard value <= UInt64(limit) else { throw .corrupt(offset: start, reason: "\(what) \(value) is out of range") }
        return Int64(value)
    }

    mutating func zigzag(expecting what: String) throws(SnapshotError) -> Int64 {
        let raw = try varint(expecting: what)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }
}
