import KVProtocol
import KVStore
import Protobuf

// The Auth service's messages (rpc.proto: Auth*Request/Response; auth.proto: Permission,
// UserAddOptions). Requests decode into `AuthRequest`/`AuthenticateRequest`; responses encode from
// `AuthResponse` by the command they answer (`EtcdWire.encodeResponse`), except Authenticate's,
// whose token the front end holds (`EtcdAuthenticateResponse`).

extension Permission: EtcdMessage {
    public static var protobufDefault: Permission { Permission(kind: .read, key: []) }

    var fields: FieldList { FieldList([.int64(1, Int64(kind.rawValue)), .bytes(2, key), .bytes(3, rangeEnd)]) }

    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }

    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        try merge(FieldBag(&reader))
    }

    /// A `permType` etcd does not define (READ, WRITE, READWRITE) is `.unsupportedValue`.
    mutating func merge(_ bag: FieldBag) throws(EtcdWireError) {
        let type = try bag.int32(1)
        guard let kind = Kind(rawValue: Int(type)) else {
            throw .unsupportedValue("Permission.permType: \(type) is not a permission type (READ, WRITE, READWRITE)")
        }
        self.kind = kind
        key = try bag.bytes(2)
        rangeEnd = try bag.bytes(3)
    }
}

/// etcd's `AuthenticateResponse`: the token for the `token` metadata of later calls.
public struct EtcdAuthenticateResponse: Hashable, Sendable, EtcdMessage, CustomStringConvertible {
    public var header: ResponseHeader
    public var token: String

    public init(header: ResponseHeader, token: String) {
        self.header = header
        self.token = token
    }

    /// Never shows the token.
    public var description: String { "EtcdAuthenticateResponse(header: \(header))" }

    public static var protobufDefault: EtcdAuthenticateResponse { EtcdAuthenticateResponse(header: .protobufDefault, token: "") }
    private var fields: FieldList { FieldList([.header(header), .string(2, token)]) }
    public var encodedSize: Int { fields.encodedSize }
    public func encode(into writer: inout ProtobufWriter) { fields.encode(into: &writer) }
    public mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError) {
        let bag = try FieldBag(&reader)
        if let headerBag = try bag.message(1) { header = try ResponseHeader(headerBag) }
        token = try bag.string(2)
    }
}

extension AuthResponse {
    /// The fields of the etcd response to `kind`: the header, then what that command reads.
    func fields(for kind: CommandKind) -> FieldList {
        switch kind {
        case .authStatus:
            FieldList([.header(header), .bool(2, enabled), .varint(3, authRevision)])
        case .userGet, .roleList:
            FieldList([.header(header), .strings(2, roles)])
        case .userList:
            FieldList([.header(header), .strings(2, users)])
        case .roleGet:
            FieldList([.header(header)] + permissions.map { .message(2, $0.fields) })
        default:
            FieldList([.header(header)])
        }
    }

    /// Reads the etcd response to `kind` (the client side of `fields(for:)`).
    init(protobuf bytes: [UInt8], kind: CommandKind) throws(EtcdWireError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(EtcdWireError) -> AuthResponse in
                var reader = ProtobufReader(buffer, maximumDepth: EtcdWire.maximumDepth)
                let bag = try FieldBag(&reader)
                var response = AuthResponse(header: try bag.message(1).map { bag throws(EtcdWireError) in try ResponseHeader(bag) } ?? .protobufDefault)
                switch kind {
                case .authStatus:
                    response.enabled = try bag.bool(2)
                    response.authRevision = try bag.uint64(3)
                case .userGet, .roleList: response.roles = try bag.strings(2)
                case .userList: response.users = try bag.strings(2)
                case .roleGet:
                    for permissionBag in try bag.messages(2) {
                        var permission = Permission.protobufDefault
                        try permission.merge(permissionBag)
                        response.permissions.append(permission)
                    }
                default: break
                }
                return response
            }
        }
        self = try result.get()
    }
}
