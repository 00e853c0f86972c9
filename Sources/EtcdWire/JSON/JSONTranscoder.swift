import Protobuf

/// Turns etcd's messages between JSON (as etcd's gateway reads and writes them: golang/protobuf's
/// `jsonpb` with proto names and defaults omitted) and their protobuf encoding, field by field as
/// `JSONSchema` names them. The protobuf side is then read and written by `EtcdWire`'s decoders and
/// encoders, so the gateway and gRPC share one definition of every message.
///
/// JSON in (`protobuf(from:schema:)`), as jsonpb reads it:
/// - a member may use the proto name (`prev_kv`) or the JSON name (`prevKv`); unknown members and
///   `null` values are ignored (etcd's gateway accepts them);
/// - 64-bit integers as numbers or decimal strings, `uint32` likewise; `bytes` as standard base64
///   with padding; enums by name or number; a wrong JSON type is refused with Go's text.
///
/// JSON out (`json(fromProtobuf:schema:into:)`), as jsonpb writes it: fields in declaration order,
/// zero scalars and empty repeated fields left out (oneof members and present messages kept, `{}`
/// when empty), `int64`/`uint64` as quoted decimals, `uint32` as numbers, enums by name (by number
/// when the value has no name), `bytes` as base64.
public enum JSONTranscoder {
    // MARK: JSON → protobuf

    /// The protobuf encoding of the message `value` holds.
    /// - Throws: `JSONDecodingError` with Go's text for a value of the wrong JSON type, an integer out
    ///   of range, bad base64 or an unknown enum name.
    public static func protobuf(from value: JSONValue, schema: JSONSchema) throws(JSONDecodingError) -> [UInt8] {
        let message = try encodeMessage(value, schema: schema, depth: 0)
        return Protobuf.encode(size: message.size) { writer in message.write(into: &writer) }
    }

    /// A message converted, its size known, so nested messages are written in one pass.
    private struct Encoded {
        enum Entry {
            case varint(UInt32, UInt64)
            case bytes(UInt32, [UInt8])
            case message(UInt32, Encoded)
        }

        var entries: [Entry] = []
        var size = 0

        mutating func append(_ entry: Entry) {
            switch entry {
            case .varint(let number, let value):
                size += Protobuf.tagSize(number) + Protobuf.varintSize(value)
            case .bytes(let number, let bytes):
                size += Protobuf.lengthDelimitedSize(number, count: bytes.count)
            case .message(let number, let message):
                size += Protobuf.lengthDelimitedSize(number, count: message.size)
            }
            entries.append(entry)
        }

        func write(into writer: inout ProtobufWriter) {
            for entry in entries {
                switch entry {
                case .varint(let number, let value):
                    writer.writeTag(number, .varint)
                    writer.writeVarint(value)
                case .bytes(let number, let bytes):
                    writer.writeBytesElement(number, bytes)
                case .message(let number, let message):
                    writer.writeMessageHeader(number, size: message.size)
                    message.write(into: &writer)
                }
            }
        }
    }

    private static func encodeMessage(_ value: JSONValue, schema: JSONSchema, depth: Int) throws(JSONDecodingError) -> Encoded {
        guard case .object(let members) = value else {
            throw JSONDecodingError("json: cannot unmarshal \(value.goKind) into Go value of type map[string]json.RawMessage")
        }
        guard depth < JSONParser.maximumDepth else { throw JSONDecodingError("exceeded max depth") }
        var message = Encoded()
        for member in members {
            guard let field = schema.field(named: member.name) else { continue }
            if case .null = member.value { continue }
            if field.repeated {
                guard case .array(let elements) = member.value else {
                    throw JSONDecodingError("json: cannot unmarshal \(member.value.goKind) into Go value of type []json.RawMessage")
                }
                for element in elements {
                    if case .null = element, case .message = field.kind { continue }
                    try encodeValue(element, field: field, always: true, depth: depth, into: &message)
                }
            } else {
                try encodeValue(member.value, field: field, always: field.oneof, depth: depth, into: &message)
            }
        }
        return message
    }

    /// Appends one value of `field`; a zero scalar only when `always` (repeated elements, oneof members).
    private static func encodeValue(_ value: JSONValue, field: JSONField, always: Bool, depth: Int,
                                    into message: inout Encoded) throws(JSONDecodingError) {
        switch field.kind {
        case .message(let schema):
            message.append(.message(field.number, try encodeMessage(value, schema: schema, depth: depth + 1)))
        case .bytes:
            guard case .string(let text) = value else { throw mismatch(value, "[]uint8") }
            let bytes = try Base64.decode(text)
            if always || !bytes.isEmpty { message.append(.bytes(field.number, bytes)) }
        case .string:
            guard case .string(let text) = value else { throw mismatch(value, "string") }
            if always || !text.isEmpty { message.append(.bytes(field.number, Array(text.utf8))) }
        case .bool:
            guard case .bool(let flag) = value else { throw mismatch(value, "bool") }
            if always || flag { message.append(.varint(field.number, flag ? 1 : 0)) }
        case .int64:
            let number = UInt64(bitPattern: try integer(value, as: Int64.self, goType: "int64"))
            if always || number != 0 { message.append(.varint(field.number, number)) }
        case .uint64:
            let number = try integer(value, as: UInt64.self, goType: "uint64")
            if always || number != 0 { message.append(.varint(field.number, number)) }
        case .uint32:
            let number = UInt64(try integer(value, as: UInt32.self, goType: "uint32"))
            if always || number != 0 { message.append(.varint(field.number, number)) }
        case .enumeration(let enumeration):
            let number: Int64
            switch value {
            case .string(let name):
                guard let index = enumeration.names.firstIndex(of: name) else {
                    throw JSONDecodingError("unknown value \"\(name)\" for enum \(enumeration.goName)")
                }
                number = Int64(index)
            case .number:
                number = Int64(try integer(value, as: Int32.self, goType: enumeration.goName))
            default:
                throw mismatch(value, enumeration.goName)
            }
            if always || number != 0 { message.append(.varint(field.number, UInt64(bitPattern: number))) }
        }
    }

    /// An integer sent as a JSON number or a decimal string (jsonpb takes both for 64-bit fields).
    private static func integer<T: FixedWidthInteger>(_ value: JSONValue, as type: T.Type, goType: String) throws(JSONDecodingError) -> T {
        switch value {
        case .number(let text):
            guard let number = T(text) else {
                throw JSONDecodingError("json: cannot unmarshal number \(text) into Go value of type \(goType)")
            }
            return number
        case .string(let text):
            guard let number = T(text) else {
                throw JSONDecodingError("json: cannot unmarshal string \(text) into Go value of type \(goType)")
            }
            return number
        default:
            throw mismatch(value, goType)
        }
    }

    private static func mismatch(_ value: JSONValue, _ goType: String) -> JSONDecodingError {
        JSONDecodingError("json: cannot unmarshal \(value.goKind) into Go value of type \(goType)")
    }

    // MARK: Protobuf → JSON

    /// Writes the message encoded in `bytes` as JSON.
    /// - Throws: when `bytes` are not a valid encoding (our own encoders never produce that).
    public static func json(fromProtobuf bytes: UnsafeRawBufferPointer, schema: JSONSchema,
                            into writer: inout JSONWriter) throws(ProtobufError) {
        var reader = ProtobufReader(bytes)
        try writeMessage(&reader, schema: schema, depth: 0, into: &writer)
    }

    public static func json(fromProtobuf bytes: [UInt8], schema: JSONSchema, into writer: inout JSONWriter) throws(ProtobufError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ProtobufError) in try json(fromProtobuf: buffer, schema: schema, into: &writer) }
        }
        try result.get()
    }

    private struct Occurrence {
        var wireType: Protobuf.WireType
        var value: UInt64
        var payload: UnsafeRawBufferPointer
    }

    private static func writeMessage(_ reader: inout ProtobufReader, schema: JSONSchema, depth: Int,
                                     into writer: inout JSONWriter) throws(ProtobufError) {
        let limit = 4 * EtcdWire.maximumDepth
        guard depth < limit else { throw .nestingTooDeep(limit: limit) }
        let fields = schema.fields
        var occurrences = [[Occurrence]](repeating: [], count: fields.count)
        while let tag = try reader.nextTag() {
            guard let index = fields.firstIndex(where: { $0.number == tag.field }) else {
                try reader.skip(tag)
                continue
            }
            switch tag.wireType {
            case .varint:
                occurrences[index].append(Occurrence(wireType: .varint, value: try reader.readVarint(), payload: .init(start: nil, count: 0)))
            case .lengthDelimited:
                occurrences[index].append(Occurrence(wireType: .lengthDelimited, value: 0, payload: try reader.readLengthDelimited()))
            default:
                try reader.skip(tag)
            }
        }
        writer.byte(UInt8(ascii: "{"))
        var first = true
        func separate(_ writer: inout JSONWriter) {
            if !first { writer.byte(UInt8(ascii: ",")) }
            first = false
        }
        for (index, field) in fields.enumerated() where !occurrences[index].isEmpty {
            if field.repeated {
                var values: [Occurrence] = []
                for occurrence in occurrences[index] {
                    if occurrence.wireType == .lengthDelimited, isVarintKind(field.kind) {
                        var packed = ProtobufReader(occurrence.payload)
                        while !packed.isAtEnd {
                            values.append(Occurrence(wireType: .varint, value: try packed.readVarint(), payload: .init(start: nil, count: 0)))
                        }
                    } else {
                        values.append(occurrence)
                    }
                }
                if values.isEmpty { continue }
                separate(&writer)
                writer.key(field.name)
                writer.byte(UInt8(ascii: "["))
                for (position, value) in values.enumerated() {
                    if position > 0 { writer.byte(UInt8(ascii: ",")) }
                    try writeValue(value, field: field, depth: depth, into: &writer)
                }
                writer.byte(UInt8(ascii: "]"))
                continue
            }
            let last = occurrences[index][occurrences[index].count - 1]
            if !field.oneof, isZero(last, field.kind) { continue }
            separate(&writer)
            writer.key(field.name)
            try writeValue(last, field: field, depth: depth, into: &writer)
        }
        writer.byte(UInt8(ascii: "}"))
    }

    private static func isVarintKind(_ kind: JSONField.Kind) -> Bool {
        switch kind {
        case .int64, .uint64, .uint32, .bool, .enumeration: true
        case .bytes, .string, .message: false
        }
    }

    private static func isZero(_ occurrence: Occurrence, _ kind: JSONField.Kind) -> Bool {
        switch kind {
        case .message: false
        case .bytes, .string: occurrence.payload.isEmpty
        default: occurrence.value == 0
        }
    }

    private static func writeValue(_ occurrence: Occurrence, field: JSONField, depth: Int,
                                   into writer: inout JSONWriter) throws(ProtobufError) {
        let expected: Protobuf.WireType = isVarintKind(field.kind) ? .varint : .lengthDelimited
        guard occurrence.wireType == expected else {
            throw .wrongWireType(field: field.number, expected: expected, got: occurrence.wireType)
        }
        switch field.kind {
        case .int64: writer.quoted(Int64(bitPattern: occurrence.value))
        case .uint64: writer.quoted(occurrence.value)
        case .uint32: writer.number(UInt32(truncatingIfNeeded: occurrence.value))
        case .bool: writer.raw(occurrence.value != 0 ? "true" : "false")
        case .enumeration(let enumeration):
            let number = Int32(truncatingIfNeeded: occurrence.value)
            if number >= 0, Int(number) < enumeration.names.count {
                writer.string(enumeration.names[Int(number)])
            } else {
                writer.number(number)
            }
        case .bytes: writer.base64(occurrence.payload)
        case .string: writer.string(utf8: occurrence.payload)
        case .message(let schema):
            var nested = ProtobufReader(occurrence.payload)
            try writeMessage(&nested, schema: schema, depth: depth + 1, into: &writer)
        }
    }
}
