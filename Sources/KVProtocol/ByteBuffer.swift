/// A growable byte buffer with separate reader and writer positions.
///
/// Bytes are appended at the writer end (`write*`) and consumed from the reader end (`read*`);
/// `get*` looks at readable bytes without consuming them. All offsets taken by `get*` and returned by
/// `firstOffset(of:from:)` are relative to the reader position, so they stay valid across compaction.
///
/// When the reader has consumed at least half of the stored bytes, the consumed prefix is dropped, so a
/// buffer that is read as fast as it is written keeps a bounded size. Integer writers produce their digits
/// straight into the storage: encoding a reply costs no allocation besides occasional growth.
public struct ByteBuffer: Sendable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var reader: Int

    /// Consumed bytes below this count are never compacted away (avoids moving tiny tails repeatedly).
    @usableFromInline static let compactionThreshold = 1024

    public init(capacity: Int = 256) {
        storage = []
        storage.reserveCapacity(capacity)
        reader = 0
    }

    public init(bytes: some Sequence<UInt8>) {
        storage = Array(bytes)
        reader = 0
    }

    public init(_ string: String) {
        self.init(bytes: string.utf8)
    }

    /// How many bytes can be read.
    @inlinable public var readableBytes: Int { storage.count - reader }

    /// Whether nothing is left to read.
    @inlinable public var isEmpty: Bool { storage.count == reader }

    /// The readable bytes (a view: no copy until mutated).
    @inlinable public var readableView: ArraySlice<UInt8> { storage[reader...] }

    /// Calls `body` with the readable bytes.
    @inlinable
    public func withUnsafeReadableBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let start = reader
        return try storage.withUnsafeBufferPointer { (all: UnsafeBufferPointer<UInt8>) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: all[start...]))
        }
    }

    /// Drops every byte, keeping the capacity.
    public mutating func clear() {
        storage.removeAll(keepingCapacity: true)
        reader = 0
    }

    /// Makes room for at least `count` more bytes.
    public mutating func reserveCapacity(writable count: Int) {
        storage.reserveCapacity(storage.count + count)
    }

    // MARK: - Writing

    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        storage.append(byte)
    }

    @inlinable
    public mutating func writeBytes(_ bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    @inlinable
    public mutating func writeBytes(_ bytes: ArraySlice<UInt8>) {
        storage.append(contentsOf: bytes)
    }

    @inlinable
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Appends the bytes of a string literal (callers pass ASCII).
    @inlinable
    public mutating func writeASCII(_ text: StaticString) {
        text.withUTF8Buffer { storage.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 encoding of `text`.
    @inlinable
    public mutating func writeString(_ text: String) {
        storage.append(contentsOf: text.utf8)
    }

    /// Appends `value` in decimal.
    @inlinable
    public mutating func writeDecimal(_ value: UInt64) {
        if value < 10 {
            storage.append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        let start = storage.count
        var rest = value
        while rest > 0 {
            storage.append(0x30 &+ UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        }
        reverseTail(from: start)
    }

    /// Appends `value` in decimal, with a leading `-` when negative.
    @inlinable
    public mutating func writeDecimal(_ value: Int64) {
        if value < 0 { storage.append(UInt8(ascii: "-")) }
        writeDecimal(value.magnitude)
    }

    @inlinable
    public mutating func writeDecimal(_ value: Int) {
        writeDecimal(Int64(value))
    }

    /// Appends `value` in lower-case hexadecimal without leading zeros or prefix (`0` for zero).
    @inlinable
    public mutating func writeHex(_ value: UInt64) {
        if value == 0 {
            storage.append(0x30)
            return
        }
        let start = storage.count
        var rest = value
        while rest > 0 {
            storage.append(Self.hexDigit(UInt8(truncatingIfNeeded: rest & 0xf)))
            rest >>= 4
        }
        reverseTail(from: start)
    }

    @inlinable
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x61 &+ (nibble &- 10)
    }

    @inlinable
    mutating func reverseTail(from start: Int) {
        var low = start
        var high = storage.count - 1
        while low < high {
            storage.swapAt(low, high)
            low += 1
            high -= 1
        }
    }

    // MARK: - Peeking

    // Offsets and counts are compared with what is readable before any addition, so no value of
    // them can overflow.

    /// The readable byte at `offset` from the reader position, or nil past the end.
    @inlinable
    public func getByte(at offset: Int) -> UInt8? {
        offset >= 0 && offset < storage.count - reader ? storage[reader + offset] : nil
    }

    /// `count` readable bytes from `offset`, or nil if not that many are readable.
    @inlinable
    public func getBytes(at offset: Int, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset <= storage.count - reader, count <= storage.count - reader - offset else {
            return nil
        }
        let start = reader + offset
        return Array(storage[start..<start + count])
    }

    /// The offset (from the reader position) of the first `byte` at or after `offset`.
    @inlinable
    public func firstOffset(of byte: UInt8, from offset: Int = 0) -> Int? {
        guard offset < storage.count - reader else { return nil }
        let from = reader + max(0, offset)
        return storage.withUnsafeBufferPointer { all -> Int? in
            var index = from
            let end = all.count
            while index < end {
                if all[index] == byte { return index - reader }
                index += 1
            }
            return nil
        }
    }

    // MARK: - Reading

    public mutating func readByte() -> UInt8? {
        guard reader < storage.count else { return nil }
        let byte = storage[reader]
        moveReaderIndex(forwardBy: 1)
        return byte
    }

    /// Consumes and returns `count` bytes, or nil (consuming nothing) if not that many are readable.
    public mutating func readBytes(count: Int) -> [UInt8]? {
        guard let bytes = getBytes(at: 0, count: count) else { return nil }
        moveReaderIndex(forwardBy: count)
        return bytes
    }

    /// Consumes and returns everything readable.
    public mutating func readAll() -> [UInt8] {
        let bytes = Array(storage[reader...])
        moveReaderIndex(forwardBy: bytes.count)
        return bytes
    }

    /// Consumes `count` bytes without copying them (clamped to what is readable).
    public mutating func moveReaderIndex(forwardBy count: Int) {
        reader += min(max(0, count), storage.count - reader)
        compactIfNeeded()
    }

    /// Drops the consumed prefix once it makes up at least half of the stored bytes.
    mutating func compactIfNeeded() {
        if reader == storage.count {
            if reader > 0 {
                storage.removeAll(keepingCapacity: true)
                reader = 0
            }
        } else if reader >= Self.compactionThreshold && reader * 2 >= storage.count {
            storage.removeSubrange(0..<reader)
            reader = 0
        }
    }

    /// Bytes held in storage, consumed or not (for tests of compaction).
    public var storedBytes: Int { storage.count }
}

extension ByteBuffer {
    /// Two lower-case hex digits.
    @inline(__always)
    mutating func writeHexByte(_ byte: UInt8) {
        writeByte(ByteBuffer.hexDigit(byte >> 4))
        writeByte(ByteBuffer.hexDigit(byte & 0x0f))
    }
}
