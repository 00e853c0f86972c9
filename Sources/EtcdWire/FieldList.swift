import KVStore
import Protobuf

/// A message written from a list of fields, for the administrative messages (not a hot path). Fields
/// holding defaults are omitted as proto3 requires, except elements of repeated fields.
struct FieldList: EtcdMessage {
    enum Field {
        case varint(UInt32, UInt64)
        case int64(UInt32, Int64)
        case bool(UInt32, Bool)
        case bytes(UInt32, [UInt8])
        case string(UInt32, String)
        /// Repeated: every element written, empty ones too.
        case strings(UInt32, [String])
        /// Always written when present (a set message field, or one element of a repeated one).
        case message(UInt32, FieldList)
        /// The response header, field 1 of every response (always written).
        case header(ResponseHeader)
    }

    var fields: [Field]

    init(_ fields: [Field]) { self.fields = fields }

    static var protobufDefault: FieldList { FieldList([]) }

    var encodedSize: Int {
        var size = 0
        for field in fields {
            switch field {
            case .varint(let number, let value): size &+= Protobuf.varintFieldSize(number, value)
            case .int64(let number, let value): size &+= Protobuf.varintFieldSize(number, value)
            case .bool(let number, let value): size &+= Protobuf.boolFieldSize(number, value)
            case .bytes(let number, let value): size &+= Protobuf.bytesFieldSize(number, count: value.count)
            case .string(let number, let value): size &+= Protobuf.bytesFieldSize(number, count: value.utf8.count)
            case .strings(let number, let values): size &+= Protobuf.repeatedStringSize(number, values)
            case .message(let number, let message): size &+= Protobuf.messageFieldSize(number, message)
            case .header(let header): size &+= Protobuf.messageFieldSize(1, header)
            }
        }
        return size
    }

    func encode(into writer: inout ProtobufWriter) {
        for field in fields {
            switch field {
            case .varint(let number, let value): writer.writeVarintField(number, value)
            case .int64(let number, let value): writer.writeVarintField(number, value)
            case .bool(let number, let value): writer.writeBoolField(number, value)
            case .bytes(let number, let value): writer.writeBytesField(number, value)
            case .string(let number, let value): writer.writeStringField(number, value)
            case .strings(let number, let values): for value in values { writer.writeStringElement(number, value) }
            case .message(let number, let message): writer.writeMessage(number, message)
            case .header(let header): writer.writeMessage(1, header)
            }
        }
    }

    /// Never used to decode (messages are read with `FieldBag`): skips everything.
    mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() { try reader.skipField(tag) }
    }
}
