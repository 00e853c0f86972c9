import KVProtocol
import KVStore
import Protobuf

// The Cluster service's messages (rpc.proto: Member, MemberAdd/Remove/Update/List/Promote). A
// single-member store only lists itself; the membership changes are decoded into `EtcdCall` cases
// for the server to refuse or implement.

extension Member: EtcdMessage {
    public static var protobufDefault: Member { Member(id: 0, name: "") }

    var fields: FieldList {
        FieldList([.varint(1, id), .string(2, name), .strings(3, peerURLs), .strings(4, clientURLs), .bool(5, isLearner)])
    }

    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        try merge(FieldBag(&reader))
    }

    mutating func merge(_ bag: FieldBag) throws(EtcdWireError) {
        id = try bag.uint64(1)
        name = try bag.string(2)
        peerURLs += try bag.strings(3)
        clientURLs += try bag.strings(4)
        isLearner = try bag.bool(5)
    }
}

/// Also the shape of etcd's `MemberRemoveResponse`, `MemberUpdateResponse` and
/// `MemberPromoteResponse` (header = 1, members = 2): encode those as a `MemberListResponse`.
extension MemberListResponse: EtcdMessage {
    public static var protobufDefault: MemberListResponse { MemberListResponse(header: .protobufDefault, members: []) }

    public var encodedSize: Int { Protobuf.messageFieldSize(1, header) &+ Protobuf.repeatedMessageSize(2, members) }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        for member in members { writer.writeMessage(2, member) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        for memberBag in try bag.messages(2) {
            var member = Member.protobufDefault
            try member.merge(memberBag)
            members.append(member)
        }
    }
}

/// etcd's `MemberAddResponse`: the member added and the members after the change.
public struct EtcdMemberAddResponse: Hashable, Sendable, EtcdMessage {
    public var header: ResponseHeader
    public var member: Member?
    public var members: [Member]

    public init(header: ResponseHeader, member: Member?, members: [Member]) {
        self.header = header
        self.member = member
        self.members = members
    }

    public static var protobufDefault: EtcdMemberAddResponse { EtcdMemberAddResponse(header: .protobufDefault, member: nil, members: []) }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ (member.map { Protobuf.messageFieldSize(2, $0) } ?? 0)
            &+ Protobuf.repeatedMessageSize(3, members)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        if let member { writer.writeMessage(2, member) }
        for member in members { writer.writeMessage(3, member) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        if let memberBag = try bag.message(2) {
            var added = member ?? .protobufDefault
            try added.merge(memberBag)
            member = added
        }
        for memberBag in try bag.messages(3) {
            var next = Member.protobufDefault
            try next.merge(memberBag)
            members.append(next)
        }
    }
}
