import Protobuf

/// The reader's typed reads with its errors as `EtcdWireError.malformed`, so message decoders, which
/// also reject values etcd's types cannot hold, throw one error type.
extension ProtobufReader {
    mutating func tag() throws(EtcdWireError) -> Tag? {
        do { return try nextTag() } catch { throw .malformed(error) }
    }

    mutating func int64(_ tag: Tag) throws(EtcdWireError) -> Int64 {
        do { return try readInt64(tag) } catch { throw .malformed(error) }
    }

    mutating func uint64(_ tag: Tag) throws(EtcdWireError) -> UInt64 {
        do { return try readUInt64(tag) } catch { throw .malformed(error) }
    }

    mutating func uint32(_ tag: Tag) throws(EtcdWireError) -> UInt32 {
        do { return try readUInt32(tag) } catch { throw .malformed(error) }
    }

    mutating func int32(_ tag: Tag) throws(EtcdWireError) -> Int32 {
        do { return try readInt32(tag) } catch { throw .malformed(error) }
    }

    mutating func bool(_ tag: Tag) throws(EtcdWireError) -> Bool {
        do { return try readBool(tag) } catch { throw .malformed(error) }
    }

    mutating func bytes(_ tag: Tag) throws(EtcdWireError) -> [UInt8] {
        do { return try readBytes(tag) } catch { throw .malformed(error) }
    }

    mutating func string(_ tag: Tag) throws(EtcdWireError) -> String {
        do { return try readString(tag) } catch { throw .malformed(error) }
    }

    mutating func message(_ tag: Tag) throws(EtcdWireError) -> ProtobufReader {
        do { return try readMessage(tag) } catch { throw .malformed(error) }
    }

    mutating func repeatedVarint(_ tag: Tag, _ body: (UInt64) -> Void) throws(EtcdWireError) {
        do { try readRepeatedVarint(tag, body) } catch { throw .malformed(error) }
    }

    mutating func skipField(_ tag: Tag) throws(EtcdWireError) {
        do { try skip(tag) } catch { throw .malformed(error) }
    }

    /// An embedded message field merged into `value` (protobuf's rule for a message field seen twice).
    mutating func merge<M: EtcdMessage>(_ tag: Tag, into value: inout M) throws(EtcdWireError) {
        var sub = try message(tag)
        try value.merge(from: &sub)
    }

    /// An embedded message field decoded on its own (a repeated element, or a oneof member).
    mutating func decode<M: EtcdMessage>(_ tag: Tag, as type: M.Type = M.self) throws(EtcdWireError) -> M {
        var value = M.protobufDefault
        try merge(tag, into: &value)
        return value
    }
}

extension ProtobufWriter {
    /// An embedded message field, always written (also when empty): tag, length, fields.
    mutating func writeMessage<M: EtcdMessage>(_ field: UInt32, _ message: M) {
        writeMessageHeader(field, size: message.encodedSize)
        message.encode(into: &self)
    }
}

extension Protobuf {
    /// The size of an embedded message field that is written (tag + length + message).
    static func messageFieldSize<M: EtcdMessage>(_ field: UInt32, _ message: M) -> Int {
        lengthDelimitedSize(field, count: message.encodedSize)
    }

    /// The size of a repeated message field.
    static func repeatedMessageSize<M: EtcdMessage>(_ field: UInt32, _ messages: [M]) -> Int {
        var size = 0
        for message in messages { size &+= lengthDelimitedSize(field, count: message.encodedSize) }
        return size
    }

    /// The size of a repeated `string` field (every element written, empty ones too).
    static func repeatedStringSize(_ field: UInt32, _ strings: [String]) -> Int {
        var size = 0
        for string in strings { size &+= lengthDelimitedSize(field, count: string.utf8.count) }
        return size
    }

    /// The size of a repeated `bytes` field (every element written, empty ones too).
    static func repeatedBytesSize(_ field: UInt32, _ elements: [[UInt8]]) -> Int {
        var size = 0
        for element in elements { size &+= lengthDelimitedSize(field, count: element.count) }
        return size
    }
}
