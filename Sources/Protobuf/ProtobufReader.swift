/// Reads a protobuf message in place, field by field, from borrowed bytes.
///
/// A decoder loops over `nextTag()`, switches on the field number, reads each known field with the
/// typed method for its declared type (which checks the wire type) and hands everything else to
/// `skip(_:)`. Guarantees, whatever the input:
///
/// - every read stays inside the bytes given; a value running past them is `ProtobufError.truncated`,
///   a length prefix reaching past them `.lengthOverflow` (checked before anything is copied, so a
///   length prefix never makes the reader allocate);
/// - varints longer than 10 bytes or wider than 64 bits are `.malformedVarint`;
/// - nested messages (`readMessage(_:)`) and groups (skipped) nest at most `maximumDepth` levels.
///
/// proto3 decoding rules the typed reads follow: a scalar field seen twice keeps its last value (the
/// decoder simply assigns); repeated scalars are accepted packed and unpacked (`readRepeatedVarint`);
/// `bool` is true for any non-zero varint; `int32` and enums keep the low 32 bits of the varint.
///
/// The reader borrows its bytes: it must not outlive the buffer it was made from (the decoding
/// functions that use it copy what they keep into arrays and strings).
public struct ProtobufReader {
    /// A field's tag: its number and wire type.
    public struct Tag: Hashable, Sendable {
        public var field: UInt32
        public var wireType: Protobuf.WireType

        @inlinable
        public init(field: UInt32, wireType: Protobuf.WireType) {
            self.field = field
            self.wireType = wireType
        }
    }

    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline var position: Int
    @usableFromInline let end: Int
    /// How many messages enclose this one (0 for the outermost).
    public let depth: Int
    /// The deepest nesting `readMessage(_:)` and group skipping accept.
    public let maximumDepth: Int

    /// A reader over `bytes`, which must stay valid while the reader is used.
    public init(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int = Protobuf.defaultMaximumDepth) {
        self.init(base: bytes.baseAddress, position: 0, end: bytes.count, depth: 0, maximumDepth: maximumDepth)
    }

    @usableFromInline
    init(base: UnsafeRawPointer?, position: Int, end: Int, depth: Int, maximumDepth: Int) {
        self.base = base
        self.position = position
        self.end = end
        self.depth = depth
        self.maximumDepth = maximumDepth
    }

    /// Whether every byte has been read.
    @inlinable
    public var isAtEnd: Bool { position >= end }

    /// Bytes left to read.
    @inlinable
    public var remaining: Int { end &- position }

    // MARK: Tags

    /// The next field's tag, or nil at the end of the message.
    @inlinable
    public mutating func nextTag() throws(ProtobufError) -> Tag? {
        if position >= end { return nil }
        let raw = try readVarint()
        let field = raw >> 3
        guard field != 0, field <= UInt64(Protobuf.maximumFieldNumber) else {
            throw .invalidFieldNumber(field)
        }
        guard let wireType = Protobuf.WireType(rawValue: UInt8(truncatingIfNeeded: raw & 7)) else {
            throw .invalidWireType(UInt8(truncatingIfNeeded: raw & 7))
        }
        return Tag(field: UInt32(truncatingIfNeeded: field), wireType: wireType)
    }

    // MARK: Raw values

    /// A varint (1 to 10 bytes).
    @inlinable
    public mutating func readVarint() throws(ProtobufError) -> UInt64 {
        guard position < end, let base else { throw .truncated }
        let first = base.load(fromByteOffset: position, as: UInt8.self)
        if first < 0x80 {
            position &+= 1
            return UInt64(first)
        }
        return try readLongVarint(base)
    }

    @usableFromInline
    mutating func readLongVarint(_ base: UnsafeRawPointer) throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < end else { throw .truncated }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index &+= 1
            if shift == 63 {
                // The 10th byte: only its lowest bit still fits in 64 bits, and it must end the varint.
                guard byte <= 1 else { throw .malformedVarint }
                result |= UInt64(byte) << 63
                break
            }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift &+= 7
        }
        position = index
        return result
    }

    /// Four little-endian bytes.
    @inlinable
    public mutating func readFixed32() throws(ProtobufError) -> UInt32 {
        guard end &- position >= 4, let base else { throw .truncated }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position &+= 4
        return UInt32(littleEndian: value)
    }

    /// Eight little-endian bytes.
    @inlinable
    public mutating func readFixed64() throws(ProtobufError) -> UInt64 {
        guard end &- position >= 8, let base else { throw .truncated }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position &+= 8
        return UInt64(littleEndian: value)
    }

    /// A length-delimited payload, in place (no copy). Its length is checked against the bytes left
    /// before anything else happens.
    @inlinable
    public mutating func readLengthDelimited() throws(ProtobufError) -> UnsafeRawBufferPointer {
        let length = try readVarint()
        let left = end &- position
        guard length <= UInt64(left) else { throw .lengthOverflow(length: length, remaining: left) }
        let count = Int(truncatingIfNeeded: length)
        let start = base.map { $0 + position }
        position &+= count
        return UnsafeRawBufferPointer(start: start, count: count)
    }

    // MARK: Typed fields (each checks the wire type its declared type uses)

    @inlinable
    func expect(_ tag: Tag, _ wireType: Protobuf.WireType) throws(ProtobufError) {
        if tag.wireType != wireType {
            throw .wrongWireType(field: tag.field, expected: wireType, got: tag.wireType)
        }
    }

    /// A `uint64` field.
    @inlinable
    public mutating func readUInt64(_ tag: Tag) throws(ProtobufError) -> UInt64 {
        try expect(tag, .varint)
        return try readVarint()
    }

    /// An `int64` field (two's complement, as protobuf encodes negative `int64`).
    @inlinable
    public mutating func readInt64(_ tag: Tag) throws(ProtobufError) -> Int64 {
        try expect(tag, .varint)
        return Int64(bitPattern: try readVarint())
    }

    /// A `uint32` field: the low 32 bits of the varint.
    @inlinable
    public mutating func readUInt32(_ tag: Tag) throws(ProtobufError) -> UInt32 {
        try expect(tag, .varint)
        return UInt32(truncatingIfNeeded: try readVarint())
    }

    /// An `int32` or enum field: the low 32 bits of the varint (negative values arrive sign-extended
    /// to 10 bytes).
    @inlinable
    public mutating func readInt32(_ tag: Tag) throws(ProtobufError) -> Int32 {
        try expect(tag, .varint)
        return Int32(truncatingIfNeeded: try readVarint())
    }

    /// A `bool` field: true for any non-zero varint.
    @inlinable
    public mutating func readBool(_ tag: Tag) throws(ProtobufError) -> Bool {
        try expect(tag, .varint)
        return try readVarint() != 0
    }

    /// A `fixed32` field.
    @inlinable
    public mutating func readFixed32(_ tag: Tag) throws(ProtobufError) -> UInt32 {
        try expect(tag, .fixed32)
        return try readFixed32()
    }

    /// A `fixed64` field.
    @inlinable
    public mutating func readFixed64(_ tag: Tag) throws(ProtobufError) -> UInt64 {
        try expect(tag, .fixed64)
        return try readFixed64()
    }

    /// A `bytes` field, copied into an array.
    @inlinable
    public mutating func readBytes(_ tag: Tag) throws(ProtobufError) -> [UInt8] {
        try expect(tag, .lengthDelimited)
        let payload = try readLengthDelimited()
        return payload.isEmpty ? [] : [UInt8](payload)
    }

    /// A `bytes` field in place (valid as long as the reader's bytes are).
    @inlinable
    public mutating func readBytesInPlace(_ tag: Tag) throws(ProtobufError) -> UnsafeRawBufferPointer {
        try expect(tag, .lengthDelimited)
        return try readLengthDelimited()
    }

    /// A `string` field; bytes that are not UTF-8 are `.invalidUTF8` (proto3 requires UTF-8).
    @inlinable
    public mutating func readString(_ tag: Tag) throws(ProtobufError) -> String {
        try expect(tag, .lengthDelimited)
        let payload = try readLengthDelimited()
        if payload.isEmpty { return "" }
        guard let text = String(validating: payload, as: UTF8.self) else { throw .invalidUTF8(field: tag.field) }
        return text
    }

    /// An embedded message field: a reader over its payload, one level deeper, after checking the
    /// depth bound. This reader moves past the payload.
    @inlinable
    public mutating func readMessage(_ tag: Tag) throws(ProtobufError) -> ProtobufReader {
        try expect(tag, .lengthDelimited)
        guard depth < maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let payload = try readLengthDelimited()
        return ProtobufReader(base: payload.baseAddress, position: 0, end: payload.count, depth: depth &+ 1,
                              maximumDepth: maximumDepth)
    }

    /// A repeated varint field (integers, bools, enums), packed or not: calls `body` with each value.
    /// A packed run that ends inside a varint is `.truncated`.
    @inlinable
    public mutating func readRepeatedVarint(_ tag: Tag, _ body: (UInt64) -> Void) throws(ProtobufError) {
        switch tag.wireType {
        case .varint:
            body(try readVarint())
        case .lengthDelimited:
            let payload = try readLengthDelimited()
            var packed = ProtobufReader(base: payload.baseAddress, position: 0, end: payload.count, depth: depth,
                                        maximumDepth: maximumDepth)
            while !packed.isAtEnd { body(try packed.readVarint()) }
        default:
            throw .wrongWireType(field: tag.field, expected: .varint, got: tag.wireType)
        }
    }

    // MARK: Unknown fields

    /// Skips the value of a field this decoder does not know, of any wire type. A group is skipped up
    /// to its matching end-group tag (nested groups count against `maximumDepth`); an end-group tag
    /// with no group open is `.unmatchedGroup`.
    public mutating func skip(_ tag: Tag) throws(ProtobufError) {
        switch tag.wireType {
        case .varint:
            _ = try readVarint()
        case .fixed64:
            try advance(8)
        case .fixed32:
            try advance(4)
        case .lengthDelimited:
            _ = try readLengthDelimited()
        case .startGroup:
            try skipGroup(tag.field, depth: depth &+ 1)
        case .endGroup:
            throw .unmatchedGroup(field: tag.field)
        }
    }

    private mutating func skipGroup(_ field: UInt32, depth groupDepth: Int) throws(ProtobufError) {
        guard groupDepth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        while true {
            guard let inner = try nextTag() else { throw .truncated }
            switch inner.wireType {
            case .endGroup:
                guard inner.field == field else { throw .unmatchedGroup(field: inner.field) }
                return
            case .startGroup:
                try skipGroup(inner.field, depth: groupDepth &+ 1)
            default:
                try skip(inner)
            }
        }
    }

    private mutating func advance(_ count: Int) throws(ProtobufError) {
        guard end &- position >= count else { throw .truncated }
        position &+= count
    }
}
