import KVProtocol
import KVStore
import Protobuf

// The Lease service's messages (rpc.proto: LeaseGrant, LeaseRevoke, LeaseKeepAlive (a stream),
// LeaseTimeToLive and LeaseLeases requests and responses).

extension LeaseGrantRequest: EtcdMessage {
    public static var protobufDefault: LeaseGrantRequest { LeaseGrantRequest(ttl: 0) }

    /// etcd's message has no keys: `keys` (our `LEASE-GRANT` extension) is not written.
    public var encodedSize: Int { Protobuf.varintFieldSize(1, ttl) &+ Protobuf.varintFieldSize(2, id) }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeVarintField(1, ttl)
        writer.writeVarintField(2, id)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: ttl = try reader.int64(tag)
            case 2: id = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension LeaseGrantResponse: EtcdMessage {
    public static var protobufDefault: LeaseGrantResponse { LeaseGrantResponse(header: .protobufDefault, id: 0, ttl: 0) }

    /// etcd's `error` field (4) is never set by etcd's server; it is not written, and skipped when read.
    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.varintFieldSize(2, id) &+ Protobuf.varintFieldSize(3, ttl)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeVarintField(2, id)
        writer.writeVarintField(3, ttl)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

/// A message whose only field is a lease id as field 1: etcd's `LeaseRevokeRequest` and
/// `LeaseKeepAliveRequest` (and `LeaseStatus`).
public struct EtcdLeaseID: Hashable, Sendable, EtcdMessage {
    public var id: Int64

    public init(_ id: Int64) { self.id = id }

    public static var protobufDefault: EtcdLeaseID { EtcdLeaseID(0) }

    public var encodedSize: Int { Protobuf.varintFieldSize(1, id) }

    public func encode(into writer: inout ProtobufWriter) { writer.writeVarintField(1, id) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            if tag.field == 1 { id = try reader.int64(tag) } else { try reader.skipField(tag) }
        }
    }
}

extension LeaseRevokeResponse: EtcdMessage {
    public static var protobufDefault: LeaseRevokeResponse { LeaseRevokeResponse(header: .protobufDefault) }

    public var encodedSize: Int { Protobuf.messageFieldSize(1, header) }

    public func encode(into writer: inout ProtobufWriter) { writer.writeMessage(1, header) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            if tag.field == 1 { try reader.merge(tag, into: &header) } else { try reader.skipField(tag) }
        }
    }
}

/// etcd answers a keep-alive for a lease it does not have with TTL 0 on the stream, not with an
/// error: the gRPC layer turns `StoreError.leaseNotFound` on `LeaseKeepAlive` into
/// `LeaseKeepAliveResponse(header:id:ttl: 0)`.
extension LeaseKeepAliveResponse: EtcdMessage {
    public static var protobufDefault: LeaseKeepAliveResponse { LeaseKeepAliveResponse(header: .protobufDefault, id: 0, ttl: 0) }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.varintFieldSize(2, id) &+ Protobuf.varintFieldSize(3, ttl)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeVarintField(2, id)
        writer.writeVarintField(3, ttl)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension LeaseTimeToLiveRequest: EtcdMessage {
    public static var protobufDefault: LeaseTimeToLiveRequest { LeaseTimeToLiveRequest(id: 0) }

    public var encodedSize: Int { Protobuf.varintFieldSize(1, id) &+ Protobuf.boolFieldSize(2, keys) }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeVarintField(1, id)
        writer.writeBoolField(2, keys)
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: id = try reader.int64(tag)
            case 2: keys = try reader.bool(tag)
            default: try reader.skipField(tag)
            }
        }
    }
}

extension LeaseTimeToLiveResponse: EtcdMessage {
    public static var protobufDefault: LeaseTimeToLiveResponse {
        LeaseTimeToLiveResponse(header: .protobufDefault, id: 0, ttl: 0, grantedTTL: 0)
    }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, header) &+ Protobuf.varintFieldSize(2, id) &+ Protobuf.varintFieldSize(3, ttl)
            &+ Protobuf.varintFieldSize(4, grantedTTL) &+ Protobuf.repeatedBytesSize(5, keys)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        writer.writeVarintField(2, id)
        writer.writeVarintField(3, ttl)
        writer.writeVarintField(4, grantedTTL)
        for key in keys { writer.writeBytesElement(5, key) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            case 4: grantedTTL = try reader.int64(tag)
            case 5: keys.append(try reader.bytes(tag))
            default: try reader.skipField(tag)
            }
        }
    }
}

extension LeaseLeasesResponse: EtcdMessage {
    public static var protobufDefault: LeaseLeasesResponse { LeaseLeasesResponse(header: .protobufDefault, leases: []) }

    public var encodedSize: Int {
        var size = Protobuf.messageFieldSize(1, header)
        for id in leases { size &+= Protobuf.lengthDelimitedSize(2, count: Protobuf.varintFieldSize(1, id)) }
        return size
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, header)
        for id in leases { writer.writeMessage(2, EtcdLeaseID(id)) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &header)
            case 2: leases.append(try reader.decode(tag, as: EtcdLeaseID.self).id)
            default: try reader.skipField(tag)
            }
        }
    }
}
