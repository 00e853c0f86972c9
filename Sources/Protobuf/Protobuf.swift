/// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): see `ProtobufReader`
/// and `ProtobufWriter`. Only the wire format: messages are mapped by hand by their users (no
/// generated code, no reflection), which keeps decoding a straight loop over fields.
///
/// The size helpers here follow proto3: a field holding its default value (0, false, empty) takes no
/// bytes, because it is not written. Encoders compute a message's size with them first, then write it
/// into exactly that many bytes (`ProtobufWriter`), so a nested message never needs a copy.
public enum Protobuf {
    /// The wire types a tag names.
    public enum WireType: UInt8, Sendable, CustomStringConvertible {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5

        public var description: String {
            switch self {
            case .varint: "varint"
            case .fixed64: "fixed64"
            case .lengthDelimited: "length-delimited"
            case .startGroup: "start-group"
            case .endGroup: "end-group"
            case .fixed32: "fixed32"
            }
        }
    }

    /// The largest field number protobuf allows (2^29 - 1).
    public static let maximumFieldNumber: UInt32 = (1 << 29) - 1

    /// The default bound on nested messages (and groups) a reader follows; protobuf's own libraries
    /// use 100.
    public static let defaultMaximumDepth = 100

    /// Bytes the varint encoding of `value` takes (1 to 10).
    @inlinable
    public static func varintSize(_ value: UInt64) -> Int {
        // Every 7 significant bits take a byte; 0 takes one byte.
        let bits = 64 &- (value | 1).leadingZeroBitCount
        return (bits &+ 6) / 7
    }

    /// Bytes the varint encoding of `value` takes: negative values take 10 (two's complement, as
    /// protobuf encodes `int32` and `int64`).
    @inlinable
    public static func varintSize(_ value: Int64) -> Int { varintSize(UInt64(bitPattern: value)) }

    /// Bytes the tag of `field` takes (the wire type does not change the size).
    @inlinable
    public static func tagSize(_ field: UInt32) -> Int { varintSize(UInt64(field) << 3) }

    // MARK: Field sizes, proto3 rules (a default value is not written)

    /// A `uint64`/`uint32` field: 0 when `value` is 0 (omitted), else tag + varint.
    @inlinable
    public static func varintFieldSize(_ field: UInt32, _ value: UInt64) -> Int {
        value == 0 ? 0 : tagSize(field) &+ varintSize(value)
    }

    /// An `int64`/`int32`/enum field: 0 when `value` is 0 (omitted); negatives take 10 bytes.
    @inlinable
    public static func varintFieldSize(_ field: UInt32, _ value: Int64) -> Int {
        varintFieldSize(field, UInt64(bitPattern: value))
    }

    /// A `bool` field: 0 when false (omitted), else tag + 1.
    @inlinable
    public static func boolFieldSize(_ field: UInt32, _ value: Bool) -> Int {
        value ? tagSize(field) &+ 1 : 0
    }

    /// A `fixed32` field: 0 when `value` is 0 (omitted), else tag + 4.
    @inlinable
    public static func fixed32FieldSize(_ field: UInt32, _ value: UInt32) -> Int {
        value == 0 ? 0 : tagSize(field) &+ 4
    }

    /// A `fixed64` field: 0 when `value` is 0 (omitted), else tag + 8.
    @inlinable
    public static func fixed64FieldSize(_ field: UInt32, _ value: UInt64) -> Int {
        value == 0 ? 0 : tagSize(field) &+ 8
    }

    /// A `bytes`/`string` field of `count` bytes: 0 when empty (omitted).
    @inlinable
    public static func bytesFieldSize(_ field: UInt32, count: Int) -> Int {
        count == 0 ? 0 : lengthDelimitedSize(field, count: count)
    }

    /// A length-delimited field that is always written (a repeated element, or a message field that is
    /// set, even when empty): tag + length + payload.
    @inlinable
    public static func lengthDelimitedSize(_ field: UInt32, count: Int) -> Int {
        tagSize(field) &+ varintSize(UInt64(count)) &+ count
    }
}
