import KVStore
import Protobuf

// The KV service's messages (rpc.proto: ResponseHeader, RangeRequest/Response, PutRequest/Response,
// DeleteRangeRequest/Response, CompactionRequest/Response; kv.proto: KeyValue), mapped onto
// KVStore's types field for field. Range, Put and their replies are the hot path: sizes are sums of
// integer arithmetic and KeyValue bytes are written from the store's records without copying.

extension ResponseHeader: EtcdMessage {
    public static var protobufDefault: ResponseHeader { ResponseHeader(revision: 0) }

    public var encodedSize: Int {
        Protobuf.varintFieldSize(1, clusterID) &+ Protobuf.varintFieldSize(2, memberID)
            &+ Protobuf.varintFieldSize(3, revision) &+ Protobuf.varintFieldSize(4, raftTerm)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeVarintField(1, clusterID)
        writer.writeVarintField(2, memberID)
        writer.writeVarintField(3, revision)
        writer.writeVarintField(4, raftTerm)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: clusterID = try reader.uint64(tag)
            case 2: memberID = try reader.uint64(tag)
            case 3: revision = try reader.int64(tag)
            case 4: raftTerm = try reader.uint64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension KeyValue: EtcdMessage {
    public static var protobufDefault: KeyValue {
        KeyValue(key: [], value: [], createRevision: 0, modRevision: 0, version: 0)
    }

    public var encodedSize: Int { encodedSize(keyCount: keyCount, valueCount: valueCount) }

    /// The size for key and value byte counts already known: the store's byte accessors are calls into
    /// KVStore (about 13 ns each, measured), so the hot path asks each of them once per size and once
    /// per write.
    func encodedSize(keyCount: Int, valueCount: Int) -> Int {
        Protobuf.bytesFieldSize(1, count: keyCount) &+ Protobuf.varintFieldSize(2, createRevision)
            &+ Protobuf.varintFieldSize(3, modRevision) &+ Protobuf.varintFieldSize(4, version)
            &+ Protobuf.bytesFieldSize(5, count: valueCount) &+ Protobuf.varintFieldSize(6, lease)
    }

    public func encode(into writer: inout ProtobufWriter) {
        withKeyBytes { key in
            withValueBytes { value in encode(key: key, value: value, into: &writer) }
        }
    }

    /// Writes the KeyValue as message field `field` (tag, length, fields), reading its bytes once.
    func encode(asField field: UInt32, into writer: inout ProtobufWriter) {
        withKeyBytes { key in
            withValueBytes { value in
                writer.writeMessageHeader(field, size: encodedSize(keyCount: key.count, valueCount: value.count))
                encode(key: key, value: value, into: &writer)
            }
        }
    }

    private func encode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into writer: inout ProtobufWriter) {
        writer.writeBytesField(1, key)
        writer.writeVarintField(2, createRevision)
        writer.writeVarintField(3, modRevision)
        writer.writeVarintField(4, version)
        writer.writeBytesField(5, value)
        writer.writeVarintField(6, lease)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: key = try reader.bytes(tag)
            case 2: createRevision = try reader.int64(tag)
            case 3: modRevision = try reader.int64(tag)
            case 4: version = try reader.int64(tag)
            case 5: value = try reader.bytes(tag)
            case 6: lease = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension RangeRequest: EtcdMessage {
    public static var protobufDefault: RangeRequest { RangeRequest(key: []) }

    public var encodedSize: Int {
        Protobuf.bytesFieldSize(1, count: key.count) &+ Protobuf.bytesFieldSize(2, count: rangeEnd.count)
            &+ Protobuf.varintFieldSize(3, limit) &+ Protobuf.varintFieldSize(4, revision)
            &+ Protobuf.varintFieldSize(5, Int64(sortOrder.rawValue))
            &+ Protobuf.varintFieldSize(6, Int64(sortTarget.rawValue))
            &+ Protobuf.boolFieldSize(7, serializable) &+ Protobuf.boolFieldSize(8, keysOnly)
            &+ Protobuf.boolFieldSize(9, countOnly)
            &+ Protobuf.varintFieldSize(10, minModRevision) &+ Protobuf.varintFieldSize(11, maxModRevision)
            &+ Protobuf.varintFieldSize(12, minCreateRevision) &+ Protobuf.varintFieldSize(13, maxCreateRevision)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeBytesField(1, key)
        writer.writeBytesField(2, rangeEnd)
        writer.writeVarintField(3, limit)
        writer.writeVarintField(4, revision)
        writer.writeVarintField(5, Int64(sortOrder.rawValue))
        writer.writeVarintField(6, Int64(sortTarget.rawValue))
        writer.writeBoolField(7, serializable)
        writer.writeBoolField(8, keysOnly)
        writer.writeBoolField(9, countOnly)
        writer.writeVarintField(10, minModRevision)
        writer.writeVarintField(11, maxModRevision)
        writer.writeVarintField(12, minCreateRevision)
        writer.writeVarintField(13, maxCreateRevision)
    }

    /// Sort enums are mapped as etcd's range applies them: an order etcd does not define sorts nothing
    /// (etcd skips sorting for it), so it reads as `NONE` by `KEY` (the store's natural order); a
    /// target etcd does not define is `.unsupportedValue` (etcd's apply has no sorter for it and fails).
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        var order = Int32(sortOrder.rawValue)
        var target = Int32(sortTarget.rawValue)
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: key = try reader.bytes(tag)
            case 2: rangeEnd = try reader.bytes(tag)
            case 3: limit = try reader.int64(tag)
            case 4: revision = try reader.int64(tag)
            case 5: order = try reader.int32(tag)
            case 6: target = try reader.int32(tag)
            case 7: serializable = try reader.bool(tag)
            case 8: keysOnly = try reader.bool(tag)
            case 9: countOnly = try reader.bool(tag)
            case 10: minModRevision = try reader.int64(tag)
            case 11: maxModRevision = try reader.int64(tag)
            case 12: minCreateRevision = try reader.int64(tag)
            case 13: maxCreateRevision = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
        guard let sortTarget = SortTarget(rawValue: Int(target)) else {
            throw .unsupportedValue("RangeRequest.sort_target: \(target) is not a sort target (KEY, VERSION, CREATE, MOD, VALUE)")
        }
        if let sortOrder = SortOrder(rawValue: Int(order)) {
            self.sortOrder = sortOrder
            self.sortTarget = sortTarget
        } else {
            self.sortOrder = .none
            self.sortTarget = .key
        }
    }
}

extension RangeResponse: EtcdMessage {
    public static var protobufDefault: RangeResponse {
        RangeResponse(header: .protobufDefault, kvs: [], more: false, count: 0)
    }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.repeatedMessageSize(2, kvs)
            &+ Protobuf.boolFieldSize(3, more) &+ Protobuf.varintFieldSize(4, count)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        for kv in kvs { kv.encode(asField: 2, into: &writer) }
        writer.writeBoolField(3, more)
        writer.writeVarintField(4, count)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: kvs.append(try reader.decode(tag))
            case 3: more = try reader.bool(tag)
            case 4: count = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension PutRequest: EtcdMessage {
    public static var protobufDefault: PutRequest { PutRequest(key: [], value: []) }

    public var encodedSize: Int {
        Protobuf.bytesFieldSize(1, count: key.count) &+ Protobuf.bytesFieldSize(2, count: value.count)
            &+ Protobuf.varintFieldSize(3, lease) &+ Protobuf.boolFieldSize(4, prevKV)
            &+ Protobuf.boolFieldSize(5, ignoreValue) &+ Protobuf.boolFieldSize(6, ignoreLease)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeBytesField(1, key)
        writer.writeBytesField(2, value)
        writer.writeVarintField(3, lease)
        writer.writeBoolField(4, prevKV)
        writer.writeBoolField(5, ignoreValue)
        writer.writeBoolField(6, ignoreLease)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: key = try reader.bytes(tag)
            case 2: value = try reader.bytes(tag)
            case 3: lease = try reader.int64(tag)
            case 4: prevKV = try reader.bool(tag)
            case 5: ignoreValue = try reader.bool(tag)
            case 6: ignoreLease = try reader.bool(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension PutResponse: EtcdMessage {
    public static var protobufDefault: PutResponse { PutResponse(header: .protobufDefault) }

    public var encodedSize: Int {
        var size = Protobuf.messageFieldSize(1, header)
        if let prevKV { size &+= Protobuf.messageFieldSize(2, prevKV) }
        return size
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        if let prevKV { prevKV.encode(asField: 2, into: &writer) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2:
                var kv = prevKV ?? .protobufDefault
                try reader.merge(tag, into: &kv)
                prevKV = kv
            default: try reader.skipField(tag)
            }
        }
    }
}

extension DeleteRangeRequest: EtcdMessage {
    public static var protobufDefault: DeleteRangeRequest { DeleteRangeRequest(key: []) }

    public var encodedSize: Int {
        Protobuf.bytesFieldSize(1, count: key.count) &+ Protobuf.bytesFieldSize(2, count: rangeEnd.count)
            &+ Protobuf.boolFieldSize(3, prevKV)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeBytesField(1, key)
        writer.writeBytesField(2, rangeEnd)
        writer.writeBoolField(3, prevKV)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: key = try reader.bytes(tag)
            case 2: rangeEnd = try reader.bytes(tag)
            case 3: prevKV = try reader.bool(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension DeleteRangeResponse: EtcdMessage {
    public static var protobufDefault: DeleteRangeResponse { DeleteRangeResponse(header: .protobufDefault, deleted: 0) }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.varintFieldSize(2, deleted)
            &+ Protobuf.repeatedMessageSize(3, prevKVs)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeVarintField(2, deleted)
        for kv in prevKVs { kv.encode(asField: 3, into: &writer) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: deleted = try reader.int64(tag)
            case 3: prevKVs.append(try reader.decode(tag))
            default: try reader.skipField(tag)
            }
        }
    }
}

extension CompactionRequest: EtcdMessage {
    public static var protobufDefault: CompactionRequest { CompactionRequest(revision: 0) }

    public var encodedSize: Int {
        Protobuf.varintFieldSize(1, revision) &+ Protobuf.boolFieldSize(2, physical)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeVarintField(1, revision)
        writer.writeBoolField(2, physical)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: revision = try reader.int64(tag)
            case 2: physical = try reader.bool(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension CompactionResponse: EtcdMessage {
    public static var protobufDefault: CompactionResponse { CompactionResponse(header: .protobufDefault) }

    public var encodedSize: Int { Protobuf.messageFieldSize(1, header) }

    public func encode(into writer: inout ProtobufWriter) { writer.writeMessage(1, header) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            if tag.field == 1 { try reader.merge(tag, into: &header) } else { try reader.skipField(tag) }
        }
    }
}
