/// Why bytes are not a well-formed protobuf message (or not the message expected).
///
/// Every reader failure is one of these: no input makes a reader trap, and none makes it allocate
/// from a length prefix (payloads are read in place and copied only once they are known to be there).
public enum ProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ends inside a tag, value or length-delimited payload.
    case truncated
    /// A varint runs longer than 10 bytes, or its 10th byte carries bits past 64.
    case malformedVarint
    /// A tag names field number 0, or one above 2^29 - 1.
    case invalidFieldNumber(UInt64)
    /// A tag names wire type 6 or 7, which do not exist.
    case invalidWireType(UInt8)
    /// A known field arrived with a wire type its declared type never uses.
    case wrongWireType(field: UInt32, expected: Protobuf.WireType, got: Protobuf.WireType)
    /// A length prefix reaches past the end of the enclosing message.
    case lengthOverflow(length: UInt64, remaining: Int)
    /// Messages (or groups) nest deeper than `limit` levels.
    case nestingTooDeep(limit: Int)
    /// An end-group tag without its start group, or a group closed by another field's end tag.
    case unmatchedGroup(field: UInt32)
    /// A `string` field holds bytes that are not UTF-8 (proto3 strings must be).
    case invalidUTF8(field: UInt32)

    public var description: String {
        switch self {
        case .truncated:
            "truncated message: the input ends inside a field"
        case .malformedVarint:
            "malformed varint: longer than 10 bytes or more than 64 bits"
        case .invalidFieldNumber(let number):
            "invalid field number \(number)"
        case .invalidWireType(let type):
            "invalid wire type \(type)"
        case .wrongWireType(let field, let expected, let got):
            "field \(field) has wire type \(got), expected \(expected)"
        case .lengthOverflow(let length, let remaining):
            "length \(length) exceeds the \(remaining) bytes remaining"
        case .nestingTooDeep(let limit):
            "messages nest more than \(limit) levels deep"
        case .unmatchedGroup(let field):
            "unmatched end-group tag for field \(field)"
        case .invalidUTF8(let field):
            "field \(field) is a string but not valid UTF-8"
        }
    }
}
