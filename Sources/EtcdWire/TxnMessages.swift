import KVProtocol
import KVStore
import Protobuf

// Transactions (rpc.proto: Compare, RequestOp, ResponseOp, TxnRequest, TxnResponse). Transactions
// nest (a RequestOp may hold a TxnRequest); decoding allows `TxnLimits.maximumNestingDepth` levels
// inside the outer transaction and answers a deeper one as etcd does: "too many operations in txn
// request" (each level costs etcd's default `--max-txn-ops` budget at least one operation).

extension Compare: EtcdMessage {
    public static var protobufDefault: Compare { Compare(key: [], result: .equal, target: .version(0)) }

    /// The `CompareTarget` enum value and the `target_union` field of `target`.
    private var targetNumbers: (target: Int64, field: UInt32) {
        switch target {
        case .version: (0, 4)
        case .createRevision: (1, 5)
        case .modRevision: (2, 6)
        case .value: (3, 7)
        case .lease: (4, 8)
        }
    }

    /// The oneof member is written even when it holds 0 or empty: a set oneof member has presence.
    private var unionSize: Int {
        switch target {
        case .version(let value), .createRevision(let value), .modRevision(let value), .lease(let value):
            Protobuf.tagSize(targetNumbers.field) &+ Protobuf.varintSize(value)
        case .value(let bytes):
            Protobuf.lengthDelimitedSize(7, count: bytes.count)
        }
    }

    public var encodedSize: Int {
        Protobuf.varintFieldSize(1, Int64(result.rawValue)) &+ Protobuf.varintFieldSize(2, targetNumbers.target)
            &+ Protobuf.bytesFieldSize(3, count: key.count) &+ unionSize
            &+ Protobuf.bytesFieldSize(64, count: rangeEnd.count)
    }

    public func encode(into writer: inout ProtobufWriter) {
        let numbers = targetNumbers
        writer.writeVarintField(1, Int64(result.rawValue))
        writer.writeVarintField(2, numbers.target)
        writer.writeBytesField(3, key)
        switch target {
        case .version(let value), .createRevision(let value), .modRevision(let value), .lease(let value):
            writer.writeTag(numbers.field, .varint)
            writer.writeVarint(UInt64(bitPattern: value))
        case .value(let bytes):
            writer.writeBytesElement(7, bytes)
        }
        writer.writeBytesField(64, rangeEnd)
    }

    /// etcd compares against the `target_union` member only when it matches `target`; otherwise
    /// against 0 (or an empty value), which is what this decodes to. A `result` or `target` etcd does
    /// not define is `.unsupportedValue`.
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        var resultNumber = Int32(result.rawValue)
        var targetNumber: Int32
        var unionField: UInt32
        var number: Int64 = 0
        var bytes: [UInt8] = []
        switch target {
        case .version(let value): (targetNumber, unionField, number) = (0, 4, value)
        case .createRevision(let value): (targetNumber, unionField, number) = (1, 5, value)
        case .modRevision(let value): (targetNumber, unionField, number) = (2, 6, value)
        case .value(let value): (targetNumber, unionField, bytes) = (3, 7, value)
        case .lease(let value): (targetNumber, unionField, number) = (4, 8, value)
        }
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: resultNumber = try reader.int32(tag)
            case 2: targetNumber = try reader.int32(tag)
            case 3: key = try reader.bytes(tag)
            case 4, 5, 6, 8:
                number = try reader.int64(tag)
                unionField = tag.field
            case 7:
                bytes = try reader.bytes(tag)
                unionField = 7
            case 64: rangeEnd = try reader.bytes(tag)
            default: try reader.skipField(tag)
            }
        }
        guard let result = Result(rawValue: Int(resultNumber)) else {
            throw .unsupportedValue("Compare.result: \(resultNumber) is not a compare result (EQUAL, GREATER, LESS, NOT_EQUAL)")
        }
        self.result = result
        func union(_ field: UInt32) -> Int64 { unionField == field ? number : 0 }
        switch targetNumber {
        case 0: target = .version(union(4))
        case 1: target = .createRevision(union(5))
        case 2: target = .modRevision(union(6))
        case 3: target = .value(unionField == 7 ? bytes : [])
        case 4: target = .lease(union(8))
        default:
            throw .unsupportedValue("Compare.target: \(targetNumber) is not a compare target (VERSION, CREATE, MOD, VALUE, LEASE)")
        }
    }
}

extension RequestOp: EtcdMessage {
    public static var protobufDefault: RequestOp { .range(.protobufDefault) }

    public var encodedSize: Int {
        switch self {
        case .range(let request): Protobuf.messageFieldSize(1, request)
        case .put(let request): Protobuf.messageFieldSize(2, request)
        case .deleteRange(let request): Protobuf.messageFieldSize(3, request)
        case .txn(let request): Protobuf.messageFieldSize(4, request)
        }
    }

    public func encode(into writer: inout ProtobufWriter) {
        switch self {
        case .range(let request): writer.writeMessage(1, request)
        case .put(let request): writer.writeMessage(2, request)
        case .deleteRange(let request): writer.writeMessage(3, request)
        case .txn(let request): writer.writeMessage(4, request)
        }
    }

    /// The oneof's last member wins. An op with no member is refused as etcd refuses it: "key not
    /// found" (etcd's `checkRequestOp`).
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        var seen = false
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: self = .range(try reader.decode(tag))
            case 2: self = .put(try reader.decode(tag))
            case 3: self = .deleteRange(try reader.decode(tag))
            case 4: self = .txn(try reader.decode(tag))
            default:
                try reader.skipField(tag)
                continue
            }
            seen = true
        }
        if !seen { throw .rejected(.store(.keyNotFound)) }
    }
}

extension ResponseOp: EtcdMessage {
    public static var protobufDefault: ResponseOp { .range(.protobufDefault) }

    public var encodedSize: Int {
        switch self {
        case .range(let response): Protobuf.messageFieldSize(1, response)
        case .put(let response): Protobuf.messageFieldSize(2, response)
        case .deleteRange(let response): Protobuf.messageFieldSize(3, response)
        case .txn(let response): Protobuf.messageFieldSize(4, response)
        }
    }

    public func encode(into writer: inout ProtobufWriter) {
        switch self {
        case .range(let response): writer.writeMessage(1, response)
        case .put(let response): writer.writeMessage(2, response)
        case .deleteRange(let response): writer.writeMessage(3, response)
        case .txn(let response): writer.writeMessage(4, response)
        }
    }

    /// The oneof's last member wins; an op with no member has no `ResponseOp` value (`.unsupportedValue`).
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        var seen = false
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: self = .range(try reader.decode(tag))
            case 2: self = .put(try reader.decode(tag))
            case 3: self = .deleteRange(try reader.decode(tag))
            case 4: self = .txn(try reader.decode(tag))
            default:
                try reader.skipField(tag)
                continue
            }
            seen = true
        }
        if !seen { throw .unsupportedValue("ResponseOp: no response set") }
    }
}

extension TxnRequest: EtcdMessage {
    public static var protobufDefault: TxnRequest { TxnRequest() }

    public var encodedSize: Int {
        Protobuf.repeatedMessageSize(1, compare) &+ Protobuf.repeatedMessageSize(2, success)
            &+ Protobuf.repeatedMessageSize(3, failure)
    }

    public func encode(into writer: inout ProtobufWriter) {
        for item in compare { writer.writeMessage(1, item) }
        for op in success { writer.writeMessage(2, op) }
        for op in failure { writer.writeMessage(3, op) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        // A transaction n levels inside the outer one is read at depth 2n (each level is a RequestOp and
        // a TxnRequest), wherever the outer one starts.
        let level = reader.depth / 2
        if level > TxnLimits.maximumNestingDepth {
            throw .rejected(.store(.tooManyOperations(count: level, limit: TxnLimits.maximumNestingDepth)))
        }
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: compare.append(try reader.decode(tag))
            case 2: success.append(try reader.decode(tag))
            case 3: failure.append(try reader.decode(tag))
            default: try reader.skipField(tag)
            }
        }
    }
}

extension TxnResponse: EtcdMessage {
    public static var protobufDefault: TxnResponse { TxnResponse(header: .protobufDefault, succeeded: false, responses: []) }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.boolFieldSize(2, succeeded)
            &+ Protobuf.repeatedMessageSize(3, responses)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeBoolField(2, succeeded)
        for response in responses { writer.writeMessage(3, response) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: succeeded = try reader.bool(tag)
            case 3: responses.append(try reader.decode(tag))
            default: try reader.skipField(tag)
            }
        }
    }
}
