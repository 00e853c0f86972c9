/// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): see `ProtobufReader`
/// and `ProtobufWriter`.
public enum Protobuf {
    /// The wire types a tag names.
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }
}
