/// Reads a snapshot from a source in chunks, tracking the byte offset for error messages and hashing
/// everything it consumes before the trailer.
struct SnapshotReader {
    /// Bytes read from the source and not yet dropped: `storage[0..<count]`; `position` is the next
    /// unconsumed byte. One allocation, reused; it grows only for a record larger than it.
    private var storage: UnsafeMutableRawBufferPointer
    private var count = 0
    private var position = 0
    /// Offset in the file of `storage[0]`.
    private var base = 0
    private var atEnd = false
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private(set) var hasher = SHA256()
    private var hashedUpTo = 0
    private static let chunkSize = 1 << 16

    init(source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.source = source
        storage = .allocate(byteCount: 4 * SnapshotReader.chunkSize, alignment: 16)
    }

    /// Frees the buffer; the reader is unusable afterwards.
    func release() { storage.deallocate() }

    var offset: Int { base + position }

    /// Makes at least `needed` bytes available unless the source ends first.
    /// - Returns: whether they are available.
    private mutating func fill(_ needed: Int) throws(SnapshotError) -> Bool {
        if count - position >= needed { return true }
        // Hash and drop what has been consumed, keeping the unconsumed tail at the front.
        hashConsumed()
        let tail = count - position
        if position > 0 {
            if tail > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + position, byteCount: tail) }
            base += position
            hashedUpTo -= position
            position = 0
            count = tail
        }
        while count < needed, !atEnd {
            // Grow a chunk at a time: a corrupted length must not make the reader allocate what the file
            // cannot hold.
            if storage.count - count < SnapshotReader.chunkSize {
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: storage.count * 2, alignment: 16)
                grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: count)
                storage.deallocate()
                storage = grown
            }
            let got: Int
            do {
                got = try source(UnsafeMutableRawBufferPointer(rebasing: storage[count...]))
            } catch {
                throw .io("reading failed: \(error)")
            }
            if got <= 0 { atEnd = true } else { count += got }
        }
        return count - position >= needed
    }

    /// Feeds the consumed bytes to the hash.
    private mutating func hashConsumed() {
        if position > hashedUpTo {
            hasher.update(UnsafeRawBufferPointer(rebasing: storage[hashedUpTo..<position]))
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

    mutating func bytes(_ length: Int, expecting what: String) throws(SnapshotError) -> [UInt8] {
        guard try fill(length) else { throw .truncated(offset: base + count, expecting: what) }
        defer { position += length }
        return Array(UnsafeRawBufferPointer(rebasing: storage[position..<(position + length)]))
    }

    /// Calls `body` with the next `count` bytes in place (valid only during the call).
    @inline(__always)
    mutating func withBytes<R>(_ length: Int, expecting what: String, _ body: (UnsafeRawBufferPointer) -> R) throws(SnapshotError) -> R {
        guard try fill(length) else { throw .truncated(offset: base + count, expecting: what) }
        defer { position += length }
        return body(UnsafeRawBufferPointer(rebasing: storage[position..<(position + length)]))
    }

    @inline(__always)
    mutating func byte(expecting what: String) throws(SnapshotError) -> UInt8 {
        guard try fill(1) else { throw .truncated(offset: offset, expecting: what) }
        defer { position += 1 }
        return storage[position]
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
        // Fast path: a varint is at most 10 bytes, so with 10 buffered it is decoded in place.
        if count - position >= 10 {
            let bytes = UnsafeRawPointer(storage.baseAddress! + position)
            var result: UInt64 = 0
            var shift: UInt64 = 0
            var used = 0
            while true {
                let b = bytes.load(fromByteOffset: used, as: UInt8.self)
                used += 1
                if shift == 63, b > 1 { throw .corrupt(offset: offset, reason: "\(what) overflows 64 bits") }
                result |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 {
                    position += used
                    return result
                }
                shift += 7
                if shift > 63 { throw .corrupt(offset: offset, reason: "\(what) overflows 64 bits") }
            }
        }
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
