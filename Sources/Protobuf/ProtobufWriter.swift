/// Writes a protobuf message into a region of known size.
///
/// Encoding is two passes: an encoder first adds up its message's size with the `Protobuf` size
/// helpers (a nested message's size is its length prefix), then writes the fields into exactly that
/// many bytes. So a message is produced straight into its output array — no per-field arrays, no
/// copying of nested messages, no backpatching of lengths, no capacity or uniqueness check per byte.
/// (Measured in release on a RangeResponse of 10 kvs, 1.8 KB, on a loaded 2-core machine: 1.5–1.9 µs
/// appending field by field to a reserved `[UInt8]`, 1.1–1.2 µs through this writer.)
///
/// Get a writer from `Protobuf.encode(size:_:)` or `Protobuf.append(size:to:_:)`. Writing past the
/// size given, or writing less than it, traps: that is a bug in an encoder's size computation, never
/// something input can cause.
///
/// The `…Field` methods follow proto3: a default value (0, false, empty) is not written. Use the
/// `…Element` methods for repeated elements and set message fields, which are written even when empty.
public struct ProtobufWriter: ~Copyable {
    @usableFromInline let base: UnsafeMutableRawPointer?
    @usableFromInline var position: Int
    @usableFromInline let end: Int

    @usableFromInline
    init(_ buffer: UnsafeMutableRawBufferPointer) {
        base = buffer.baseAddress
        position = 0
        end = buffer.count
    }

    /// Bytes written so far.
    @inlinable
    public var count: Int { position }

    @inlinable
    mutating func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        precondition(count <= end &- position, "ProtobufWriter: the message is larger than its computed size")
        let pointer = base.unsafelyUnwrapped + position
        position &+= count
        return pointer
    }

    // MARK: Raw values

    /// A varint (1 to 10 bytes).
    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        if value < 0x80 {
            reserve(1).storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
            return
        }
        let size = Protobuf.varintSize(value)
        let pointer = reserve(size)
        var rest = value
        for index in 0..<(size &- 1) {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: index, as: UInt8.self)
            rest >>= 7
        }
        pointer.storeBytes(of: UInt8(truncatingIfNeeded: rest), toByteOffset: size &- 1, as: UInt8.self)
    }

    /// A tag.
    @inlinable
    public mutating func writeTag(_ field: UInt32, _ wireType: Protobuf.WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Four little-endian bytes.
    @inlinable
    public mutating func writeFixed32(_ value: UInt32) {
        reserve(4).storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    /// Eight little-endian bytes.
    @inlinable
    public mutating func writeFixed64(_ value: UInt64) {
        reserve(8).storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    /// Bytes as they are (no tag, no length).
    @inlinable
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count).copyMemory(from: source, byteCount: bytes.count)
    }

    // MARK: proto3 fields: a default value is not written

    /// A `uint64`/`uint32` field, omitted when 0.
    @inlinable
    public mutating func writeVarintField(_ field: UInt32, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(field, .varint)
        writeVarint(value)
    }

    /// An `int64`/`int32`/enum field, omitted when 0; negatives take 10 bytes.
    @inlinable
    public mutating func writeVarintField(_ field: UInt32, _ value: Int64) {
        writeVarintField(field, UInt64(bitPattern: value))
    }

    /// A `bool` field, omitted when false.
    @inlinable
    public mutating func writeBoolField(_ field: UInt32, _ value: Bool) {
        guard value else { return }
        writeTag(field, .varint)
        writeVarint(1)
    }

    /// A `fixed32` field, omitted when 0.
    @inlinable
    public mutating func writeFixed32Field(_ field: UInt32, _ value: UInt32) {
        guard value != 0 else { return }
        writeTag(field, .fixed32)
        writeFixed32(value)
    }

    /// A `fixed64` field, omitted when 0.
    @inlinable
    public mutating func writeFixed64Field(_ field: UInt32, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(field, .fixed64)
        writeFixed64(value)
    }

    /// A `bytes` field, omitted when empty.
    @inlinable
    public mutating func writeBytesField(_ field: UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        writeBytesElement(field, bytes)
    }

    /// A `bytes` field, omitted when empty.
    @inlinable
    public mutating func writeBytesField(_ field: UInt32, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { writeBytesElement(field, $0) }
    }

    /// A `string` field, omitted when empty.
    @inlinable
    public mutating func writeStringField(_ field: UInt32, _ text: String) {
        guard !text.isEmpty else { return }
        writeStringElement(field, text)
    }

    // MARK: Always written (repeated elements, set messages)

    /// A length-delimited element: tag, length, bytes (also when empty).
    @inlinable
    public mutating func writeBytesElement(_ field: UInt32, _ bytes: UnsafeRawBufferPointer) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(bytes.count))
        writeRaw(bytes)
    }

    /// A length-delimited element: tag, length, bytes (also when empty).
    @inlinable
    public mutating func writeBytesElement(_ field: UInt32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBytesElement(field, $0) }
    }

    /// A `string` element: tag, length, UTF-8 bytes (also when empty).
    @inlinable
    public mutating func writeStringElement(_ field: UInt32, _ text: String) {
        var text = text
        text.withUTF8 { writeBytesElement(field, UnsafeRawBufferPointer($0)) }
    }

    /// The start of an embedded message of `size` bytes: its tag and length. The caller writes the
    /// message's fields next (exactly `size` bytes of them).
    @inlinable
    public mutating func writeMessageHeader(_ field: UInt32, size: Int) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(size))
    }
}

extension Protobuf {
    /// A message of exactly `size` bytes, written by `body` into a fresh array (no zero-filling).
    /// Traps if `body` writes more or fewer than `size` bytes (an encoder's size bug).
    @inlinable
    public static func encode(size: Int, _ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ProtobufWriter(UnsafeMutableRawBufferPointer(buffer))
            body(&writer)
            precondition(writer.position == size, "ProtobufWriter: the message is smaller than its computed size")
            initialized = size
        }
    }

    /// Appends a message of exactly `size` bytes to `output` (e.g. after a gRPC frame prefix), written
    /// by `body`. Traps if `body` writes more or fewer than `size` bytes.
    @inlinable
    public static func append(size: Int, to output: inout [UInt8], _ body: (inout ProtobufWriter) -> Void) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: size))
        output.withUnsafeMutableBytes { whole in
            var writer = ProtobufWriter(UnsafeMutableRawBufferPointer(rebasing: whole[start...]))
            body(&writer)
            precondition(writer.position == size, "ProtobufWriter: the message is smaller than its computed size")
        }
    }
}
