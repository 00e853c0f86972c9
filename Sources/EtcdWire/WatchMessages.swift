import KVProtocol
import KVStore
import Protobuf

// The Watch service's stream messages (rpc.proto: WatchRequest with WatchCreateRequest,
// WatchCancelRequest, WatchProgressRequest; WatchResponse; kv.proto: Event).

/// One message a client sends on a Watch stream (etcd's `WatchRequest`, a oneof).
///
/// `create` keeps etcd's `fragment` flag, which our `WatchRequest` lacks: it asks the server to split
/// responses larger than its request limit (`EtcdWatchResponse.fragments(of:maxBytes:)`).
public enum EtcdWatchRequest: Hashable, Sendable {
    case create(WatchRequest, fragment: Bool)
    case cancel(watchID: Int64)
    case progress
    /// No member of the oneof set: etcd ignores such a message (and so should the stream).
    case none

    /// The typed request the service handles, with etcd's server-side adjustments: an empty key watches
    /// from `"\0"`, the smallest key (etcd's watch server does the same). Nil for `.none`.
    public var request: Request? {
        switch self {
        case .create(var watch, _):
            if watch.key.isEmpty { watch.key = [0] }
            return .watch(watch)
        case .cancel(let id): return .unwatch(id)
        case .progress: return .progress
        case .none: return nil
        }
    }
}

extension EtcdWatchRequest: EtcdMessage {
    public static var protobufDefault: EtcdWatchRequest { .none }

    public var encodedSize: Int {
        switch self {
        case .create(let watch, let fragment):
            Protobuf.lengthDelimitedSize(1, count: Self.createSize(watch, fragment: fragment))
        case .cancel(let id): Protobuf.lengthDelimitedSize(2, count: Protobuf.varintFieldSize(1, id))
        case .progress: Protobuf.lengthDelimitedSize(3, count: 0)
        case .none: 0
        }
    }

    public func encode(into writer: inout ProtobufWriter) {
        switch self {
        case .create(let watch, let fragment):
            writer.writeMessageHeader(1, size: Self.createSize(watch, fragment: fragment))
            writer.writeBytesField(1, watch.key)
            writer.writeBytesField(2, watch.rangeEnd)
            writer.writeVarintField(3, watch.startRevision)
            writer.writeBoolField(4, watch.progressNotify)
            let filters = Self.filtersSize(watch)
            if filters > 0 {
                // Packed, as proto3 writes repeated enums: NOPUT = 0, NODELETE = 1.
                writer.writeMessageHeader(5, size: filters)
                if watch.noPut { writer.writeVarint(0) }
                if watch.noDelete { writer.writeVarint(1) }
            }
            writer.writeBoolField(6, watch.prevKV)
            writer.writeVarintField(7, watch.watchID)
            writer.writeBoolField(8, fragment)
        case .cancel(let id):
            writer.writeMessageHeader(2, size: Protobuf.varintFieldSize(1, id))
            writer.writeVarintField(1, id)
        case .progress:
            writer.writeMessageHeader(3, size: 0)
        case .none:
            break
        }
    }

    private static func filtersSize(_ watch: WatchRequest) -> Int { (watch.noPut ? 1 : 0) + (watch.noDelete ? 1 : 0) }

    private static func createSize(_ watch: WatchRequest, fragment: Bool) -> Int {
        let filters = filtersSize(watch)
        return Protobuf.bytesFieldSize(1, count: watch.key.count) &+ Protobuf.bytesFieldSize(2, count: watch.rangeEnd.count)
            &+ Protobuf.varintFieldSize(3, watch.startRevision) &+ Protobuf.boolFieldSize(4, watch.progressNotify)
            &+ (filters > 0 ? Protobuf.lengthDelimitedSize(5, count: filters) : 0)
            &+ Protobuf.boolFieldSize(6, watch.prevKV) &+ Protobuf.varintFieldSize(7, watch.watchID)
            &+ Protobuf.boolFieldSize(8, fragment)
    }

    /// The oneof's last member wins (each member decoded afresh, as etcd's unmarshaler does). Filter
    /// values etcd does not define are ignored, as etcd's watch server ignores them.
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1:
                var create = try reader.message(tag)
                var watch = WatchRequest(key: [])
                var fragment = false
                while let field = try create.tag() {
                    switch field.field {
                    case 1: watch.key = try create.bytes(field)
                    case 2: watch.rangeEnd = try create.bytes(field)
                    case 3: watch.startRevision = try create.int64(field)
                    case 4: watch.progressNotify = try create.bool(field)
                    case 5:
                        try create.repeatedVarint(field) { filter in
                            if filter == 0 { watch.noPut = true } else if filter == 1 { watch.noDelete = true }
                        }
                    case 6: watch.prevKV = try create.bool(field)
                    case 7: watch.watchID = try create.int64(field)
                    case 8: fragment = try create.bool(field)
                    default: try create.skipField(field)
                    }
                }
                self = .create(watch, fragment: fragment)
            case 2:
                var cancel = try reader.message(tag)
                var id: Int64 = 0
                while let field = try cancel.tag() {
                    if field.field == 1 { id = try cancel.int64(field) } else { try cancel.skipField(field) }
                }
                self = .cancel(watchID: id)
            case 3:
                var progress = try reader.message(tag)
                while let field = try progress.tag() { try progress.skipField(field) }
                self = .progress
            default:
                try reader.skipField(tag)
            }
        }
    }
}

extension Event: EtcdMessage {
    public static var protobufDefault: Event { Event(type: .put, kv: .protobufDefault) }

    public var encodedSize: Int {
        var size = Protobuf.varintFieldSize(1, Int64(type.rawValue)) &+ Protobuf.messageFieldSize(2, kv)
        if let prevKV { size &+= Protobuf.messageFieldSize(3, prevKV) }
        return size
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeVarintField(1, Int64(type.rawValue))
        kv.encode(asField: 2, into: &writer)
        if let prevKV { prevKV.encode(asField: 3, into: &writer) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1:
                let number = try reader.int32(tag)
                guard let type = EventType(rawValue: Int(number)) else {
                    throw .unsupportedValue("Event.type: \(number) is not an event type (PUT, DELETE)")
                }
                self.type = type
            case 2: try reader.merge(tag, into: &kv)
            case 3:
                var previous = prevKV ?? .protobufDefault
                try reader.merge(tag, into: &previous)
                prevKV = previous
            default: try reader.skipField(tag)
            }
        }
    }
}

/// etcd's `WatchResponse`: our `WatchResponse` plus etcd's `fragment` flag (set on every piece of a
/// split response but the last).
public struct EtcdWatchResponse: Hashable, Sendable {
    public var response: WatchResponse
    public var fragment: Bool

    public init(_ response: WatchResponse, fragment: Bool = false) {
        self.response = response
        self.fragment = fragment
    }

    /// `response` split as etcd's watch server splits it for a watch created with `fragment`: whole
    /// when its encoding is under `maxBytes` or it has fewer than two events; otherwise in pieces of
    /// as many events as keep each under `maxBytes` (at least one each), every piece but the last
    /// marked `fragment`.
    public static func fragments(of response: WatchResponse, maxBytes: Int) -> [EtcdWatchResponse] {
        let whole = EtcdWatchResponse(response)
        if whole.encodedSize < maxBytes || response.events.count < 2 { return [whole] }
        var pieces: [EtcdWatchResponse] = []
        var empty = response
        empty.events = []
        let baseSize = EtcdWatchResponse(empty, fragment: true).encodedSize
        var index = 0
        while index < response.events.count {
            var piece = EtcdWatchResponse(empty, fragment: true)
            var size = baseSize
            while index < response.events.count {
                let eventSize = Protobuf.messageFieldSize(11, response.events[index])
                if !piece.response.events.isEmpty && size &+ eventSize >= maxBytes { break }
                piece.response.events.append(response.events[index])
                size &+= eventSize
                index += 1
            }
            if index == response.events.count { piece.fragment = false }
            pieces.append(piece)
        }
        return pieces
    }
}

extension EtcdWatchResponse: EtcdMessage {
    public static var protobufDefault: EtcdWatchResponse { EtcdWatchResponse(WatchResponse(header: .protobufDefault, watchID: 0)) }

    public var encodedSize: Int {
        Protobuf.messageFieldSize(1, response.header) &+ Protobuf.varintFieldSize(2, response.watchID)
            &+ Protobuf.boolFieldSize(3, response.created) &+ Protobuf.boolFieldSize(4, response.canceled)
            &+ Protobuf.varintFieldSize(5, response.compactRevision)
            &+ Protobuf.bytesFieldSize(6, count: response.cancelReason.utf8.count)
            &+ Protobuf.boolFieldSize(7, fragment) &+ Protobuf.repeatedMessageSize(11, response.events)
    }

    public func encode(into writer: inout ProtobufWriter) {
        writer.writeMessage(1, response.header)
        writer.writeVarintField(2, response.watchID)
        writer.writeBoolField(3, response.created)
        writer.writeBoolField(4, response.canceled)
        writer.writeVarintField(5, response.compactRevision)
        writer.writeStringField(6, response.cancelReason)
        writer.writeBoolField(7, fragment)
        for event in response.events { writer.writeMessage(11, event) }
    }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        while let tag = try reader.tag() {
            switch tag.field {
            case 1: try reader.merge(tag, into: &response.header)
            case 2: response.watchID = try reader.int64(tag)
            case 3: response.created = try reader.bool(tag)
            case 4: response.canceled = try reader.bool(tag)
            case 5: response.compactRevision = try reader.int64(tag)
            case 6: response.cancelReason = try reader.string(tag)
            case 7: fragment = try reader.bool(tag)
            case 11: response.events.append(try reader.decode(tag))
            default: try reader.skipField(tag)
            }
        }
    }
}

extension WatchResponse: EtcdMessage {
    public static var protobufDefault: WatchResponse { WatchResponse(header: .protobufDefault, watchID: 0) }

    public var encodedSize: Int { EtcdWatchResponse(self).encodedSize }

    public func encode(into writer: inout ProtobufWriter) { EtcdWatchResponse(self).encode(into: &writer) }

    /// Reads an etcd `WatchResponse`; its `fragment` flag is dropped (use `EtcdWatchResponse` to keep it).
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        var wrapped = EtcdWatchResponse(self)
        try wrapped.merge(from: &reader)
        self = wrapped.response
    }
}
