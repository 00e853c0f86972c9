import KVProtocol
import KVStore
import Protobuf

// The Maintenance service's messages (rpc.proto: Alarm, Status, Defragment, Hash, HashKV, Snapshot,
// MoveLeader; 3.5's Downgrade). Those our `Request`/`Response` do not model are EtcdWire types here.
// Enums are kept open (a value etcd does not define survives decoding), as proto3 enums are.

/// etcd's `AlarmType`.
public struct EtcdAlarmType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// With `GET`: every alarm.
    public static let none = EtcdAlarmType(rawValue: 0)
    public static let noSpace = EtcdAlarmType(rawValue: 1)
    public static let corrupt = EtcdAlarmType(rawValue: 2)
}

/// etcd's `AlarmRequest`.
public struct EtcdAlarmRequest: Hashable, Sendable {
    /// etcd's `AlarmRequest.AlarmAction`.
    public struct Action: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let get = Action(rawValue: 0)
        public static let activate = Action(rawValue: 1)
        public static let deactivate = Action(rawValue: 2)
    }

    public var action: Action
    /// The member the alarm is about (0: every member, with `GET`).
    public var memberID: UInt64
    public var alarm: EtcdAlarmType

    public init(action: Action = .get, memberID: UInt64 = 0, alarm: EtcdAlarmType = .none) {
        self.action = action
        self.memberID = memberID
        self.alarm = alarm
    }
}

extension EtcdAlarmRequest: EtcdMessage {
    public static var protobufDefault: EtcdAlarmRequest { EtcdAlarmRequest() }
    private var fields: FieldList {
        FieldList([.int64(1, Int64(action.rawValue)), .varint(2, memberID), .int64(3, Int64(alarm.rawValue))])
    }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        action = Action(rawValue: try bag.int32(1))
        memberID = try bag.uint64(2)
        alarm = EtcdAlarmType(rawValue: try bag.int32(3))
    }
}

/// etcd's `AlarmMember`: one raised alarm.
public struct EtcdAlarmMember: Hashable, Sendable {
    public var memberID: UInt64
    public var alarm: EtcdAlarmType

    public init(memberID: UInt64, alarm: EtcdAlarmType) {
        self.memberID = memberID
        self.alarm = alarm
    }

    var fields: FieldList { FieldList([.varint(1, memberID), .int64(2, Int64(alarm.rawValue))]) }

    init(_ bag: FieldBag) throws(EtcdWireError) {
        self.init(memberID: try bag.uint64(1), alarm: EtcdAlarmType(rawValue: try bag.int32(2)))
    }
}

/// etcd's `AlarmResponse`: the alarms active after the request.
public struct EtcdAlarmResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader
    public var alarms: [EtcdAlarmMember]

    public init(header: ResponseHeader, alarms: [EtcdAlarmMember] = []) {
        self.header = header
        self.alarms = alarms
    }

    public static var protobufDefault: EtcdAlarmResponse { EtcdAlarmResponse(header: .protobufDefault) }
    /// etcd answers Alarm without a header (its applier builds the response bare): an all-zero header is
    /// left out, so clients print `{}` for no alarms as they do against etcd.
    private var fields: FieldList {
        FieldList((header == ResponseHeader(revision: 0) ? [] : [.header(header)]) + alarms.map { .message(2, $0.fields) })
    }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        for member in try bag.messages(2) { alarms.append(try EtcdAlarmMember(member)) }
    }
}

/// A response that is only a header: etcd's `DefragmentResponse`, `MoveLeaderResponse`,
/// `CompactionResponse`, `LeaseRevokeResponse` and the auth responses that return nothing else.
public struct EtcdHeaderResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader

    public init(header: ResponseHeader) { self.header = header }

    public static var protobufDefault: EtcdHeaderResponse { EtcdHeaderResponse(header: .protobufDefault) }
    public var encodedSize: Int { Protobuf.messageFieldSize(1, header) }
    public func encode(into writer: inout ProtobufWriter) { writer.writeMessage(1, header) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            if tag.field == 1 { try reader.merge(tag, into: &header) } else { try reader.skipField(tag) }
        }
    }
}

/// etcd's `HashResponse` (Maintenance/Hash: a hash of the whole backend).
public struct EtcdHashResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader
    public var hash: UInt32

    public init(header: ResponseHeader, hash: UInt32) {
        self.header = header
        self.hash = hash
    }

    public static var protobufDefault: EtcdHashResponse { EtcdHashResponse(header: .protobufDefault, hash: 0) }
    private var fields: FieldList { FieldList([.header(header), .varint(2, UInt64(hash))]) }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        hash = try bag.uint32(2)
    }
}

/// etcd's `SnapshotResponse`: one chunk of the streamed snapshot, and how many bytes remain after it.
/// Written directly (no field list): a snapshot streams many of these.
public struct EtcdSnapshotResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader
    public var remainingBytes: UInt64
    public var blob: [UInt8]

    public init(header: ResponseHeader, remainingBytes: UInt64, blob: [UInt8]) {
        self.header = header
        self.remainingBytes = remainingBytes
        self.blob = blob
    }

    public static var protobufDefault: EtcdSnapshotResponse {
        EtcdSnapshotResponse(header: .protobufDefault, remainingBytes: 0, blob: [])
    }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.varintFieldSize(2, remainingBytes)
            &+ Protobuf.bytesFieldSize(3, count: blob.count)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeVarintField(2, remainingBytes)
        writer.writeBytesField(3, blob)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: remainingBytes = try reader.uint64(tag)
            case 3: blob = try reader.bytes(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

/// etcd 3.5's `DowngradeRequest`.
public struct EtcdDowngradeRequest: Hashable, Sendable, EtcdMessage {
    /// etcd's `DowngradeRequest.DowngradeAction`.
    public struct Action: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let validate = Action(rawValue: 0)
        public static let enable = Action(rawValue: 1)
        public static let cancel = Action(rawValue: 2)
    }

    public var action: Action
    /// The target version, e.g. `3.4`.
    public var version: String

    public init(action: Action = .validate, version: String = "") {
        self.action = action
        self.version = version
    }

    public static var protobufDefault: EtcdDowngradeRequest { EtcdDowngradeRequest() }
    private var fields: FieldList { FieldList([.int64(1, Int64(action.rawValue)), .string(2, version)]) }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        action = Action(rawValue: try bag.int32(1))
        version = try bag.string(2)
    }
}

/// etcd 3.5's `DowngradeResponse`: the cluster version.
public struct EtcdDowngradeResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader
    public var version: String

    public init(header: ResponseHeader, version: String) {
        self.header = header
        self.version = version
    }

    public static var protobufDefault: EtcdDowngradeResponse { EtcdDowngradeResponse(header: .protobufDefault, version: "") }
    private var fields: FieldList { FieldList([.header(header), .string(2, version)]) }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        version = try bag.string(2)
    }
}

extension StatusResponse: EtcdMessage {
    public static var protobufDefault: StatusResponse { StatusResponse(header: .protobufDefault, version: "") }

    /// `compactRevision` has no field in etcd's message and is not written.
    private var fields: FieldList {
        FieldList([.header(header), .string(2, version), .int64(3, dbSize), .varint(4, leader), .varint(5, raftIndex),
                   .varint(6, raftTerm), .varint(7, raftAppliedIndex), .strings(8, errors), .int64(9, dbSizeInUse),
                   .bool(10, isLearner)])
    }

    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        version = try bag.string(2)
        dbSize = try bag.int64(3)
        leader = try bag.uint64(4)
        raftIndex = try bag.uint64(5)
        raftTerm = try bag.uint64(6)
        raftAppliedIndex = try bag.uint64(7)
        errors += try bag.strings(8)
        dbSizeInUse = try bag.int64(9)
        isLearner = try bag.bool(10)
    }
}

extension HashKVRequest: EtcdMessage {
    public static var protobufDefault: HashKVRequest { HashKVRequest() }
    public var encodedSize: Int { Protobuf.varintFieldSize(1, revision) }
    public func encode(into writer: inout ProtobufWriter) { writer.writeVarintField(1, revision) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            if tag.field == 1 { revision = try reader.int64(tag) } else { try reader.skipField(tag) }
        }
    }
}

extension HashKVResponse: EtcdMessage {
    public static var protobufDefault: HashKVResponse { HashKVResponse(header: .protobufDefault, hash: 0, compactRevision: 0) }

    /// `hash_revision` is field 4 (etcd 3.5.x and later; older clients skip it).
    private var fields: FieldList {
        FieldList([.header(header), .varint(2, UInt64(hash)), .int64(3, compactRevision), .int64(4, hashRevision)])
    }

    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        hash = try bag.uint32(2)
        compactRevision = try bag.int64(3)
        hashRevision = try bag.int64(4)
    }
}

extension ResponseHeader {
    /// A header read from a field bag (the administrative messages' decoding).
    init(_ bag: FieldBag) throws(EtcdWireError) {
        self.init(clusterID: try bag.uint64(1), memberID: try bag.uint64(2), revision: try bag.int64(3),
                  raftTerm: try bag.uint64(4))
    }
}
