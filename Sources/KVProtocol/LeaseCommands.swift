import KVStore

/// `LEASE-GRANT <ttl> [<key>…] [--id=HEX]`: etcd's LeaseGrant, optionally attaching existing keys.
public struct LeaseGrantRequest: Hashable, Sendable {
    /// Seconds; the store raises TTLs below 2 to 2.
    public var ttl: Int64
    /// The lease id to use, or 0 to let the server choose.
    public var id: Int64
    /// Existing keys to attach to the new lease (written again under it, in one revision).
    public var keys: [[UInt8]]

    public init(ttl: Int64, id: Int64 = 0, keys: [[UInt8]] = []) {
        self.ttl = ttl
        self.id = id
        self.keys = keys
    }
}

/// `LEASE-TTL <id> [--keys]`: etcd's LeaseTimeToLive.
public struct LeaseTimeToLiveRequest: Hashable, Sendable {
    public var id: Int64
    /// Also list the keys attached to the lease.
    public var keys: Bool

    public init(id: Int64, keys: Bool = false) {
        self.id = id
        self.keys = keys
    }
}

/// `PUT <key> <value> --ttl=N`: grants a fresh lease of `ttl` seconds and writes the key under it, in
/// one revision.
public struct LeasedPutRequest: Hashable, Sendable {
    public var put: PutRequest
    public var ttl: Int64

    public init(put: PutRequest, ttl: Int64) {
        self.put = put
        self.ttl = ttl
    }
}

/// The reply to `PUT … --ttl=N`: the lease granted and the put.
public struct LeasedPutResponse: Hashable, Sendable {
    public var lease: LeaseGrantResponse
    public var put: PutResponse

    public init(lease: LeaseGrantResponse, put: PutResponse) {
        self.lease = lease
        self.put = put
    }
}

/// `LEASE-GRANT <ttl> [<key>…] [--id=HEX]`
enum LeaseGrantCommand: SpecParsedCommand {
    static var kind: CommandKind { .leaseGrant }
    static let spec = CommandSpec(kind, arguments: ["ttl", "key"], required: 1, variadic: true,
                                  options: [OptionSpec("id", .hex)])

    static func request(_ value: LeaseGrantRequest) -> Request { .leaseGrant(value) }

    static func encode(_ value: LeaseGrantRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("LEASE-GRANT ")
        buffer.writeDecimal(value.ttl)
        for key in value.keys {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeToken(key)
        }
        if value.id != 0 {
            buffer.writeASCII(" --id=")
            buffer.writeHex(UInt64(bitPattern: value.id))
        }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> LeaseGrantRequest {
        LeaseGrantRequest(ttl: try arguments.positionalInt64(0),
                          id: try arguments.hex("id").map { Int64(bitPattern: $0) } ?? 0,
                          keys: arguments.positional.dropFirst().map(\.bytes))
    }

    /// Any user; attaching existing keys rewrites them, so write on each.
    static func authorize(_ value: LeaseGrantRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.validTokenIfGiven(store, token)
        for key in value.keys { try store.auth.checkPermission(token: token, key: key, write: true) }
    }

    /// `LeaseGrantRequest{TTL, ID}`; the keys, this protocol's extension, as a repeated `bytes` field 3.
    static func encodedSize(_ value: LeaseGrantRequest) -> Int {
        Protobuf.int64(1, value.ttl) + Protobuf.int64(2, value.id)
            + value.keys.reduce(0) { $0 + Protobuf.bytes(3, $1, always: true) }
    }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .leaseGrant(LeaseGrantResponse(header: try ReplyDecoder.header(fields), id: try ReplyDecoder.leaseID(fields),
                                       ttl: try fields.int64("ttl") ?? 0))
    }
}

/// What `LEASE-REVOKE <id>`, `LEASE-KEEPALIVE <id>` and `LEASE-TTL <id>` share: one lease id in hex.
private func writeLeaseID(_ verb: StaticString, _ id: Int64, into buffer: inout ByteBuffer) {
    buffer.writeASCII(verb)
    buffer.writeByte(UInt8(ascii: " "))
    buffer.writeHex(UInt64(bitPattern: id))
}

/// `LEASE-REVOKE <id>`
enum LeaseRevokeCommand: SpecParsedCommand {
    static var kind: CommandKind { .leaseRevoke }
    static let spec = CommandSpec(kind, arguments: ["id"])

    static func request(_ value: Int64) -> Request { .leaseRevoke(value) }

    static func encode(_ value: Int64, into buffer: inout ByteBuffer) { writeLeaseID("LEASE-REVOKE", value, into: &buffer) }

    static func decode(_ arguments: Arguments) throws(WireError) -> Int64 {
        Int64(bitPattern: try arguments.positionalHex(0))
    }

    /// Revoking deletes the lease's keys: write on each.
    static func authorize(_ value: Int64, on store: Store, token: String?) throws(AuthError) {
        try store.authorizeLeaseRevoke(value, token: token)
    }

    static func encodedSize(_ value: Int64) -> Int { Protobuf.int64(1, value) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .leaseRevoke(LeaseRevokeResponse(header: try ReplyDecoder.header(fields)))
    }
}

/// `LEASE-KEEPALIVE <id>`: one renewal per request.
enum LeaseKeepAliveCommand: SpecParsedCommand {
    static var kind: CommandKind { .leaseKeepAlive }
    static let spec = CommandSpec(kind, arguments: ["id"])

    static func request(_ value: Int64) -> Request { .leaseKeepAlive(value) }

    static func encode(_ value: Int64, into buffer: inout ByteBuffer) {
        writeLeaseID("LEASE-KEEPALIVE", value, into: &buffer)
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> Int64 {
        Int64(bitPattern: try arguments.positionalHex(0))
    }

    /// Keeping a lease alive keeps its keys: write on each (stricter than etcd, see `Store.authorize`).
    static func authorize(_ value: Int64, on store: Store, token: String?) throws(AuthError) {
        try store.authorizeLeaseKeepAlive(value, token: token)
    }

    static func encodedSize(_ value: Int64) -> Int { Protobuf.int64(1, value) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .leaseKeepAlive(LeaseKeepAliveResponse(header: try ReplyDecoder.header(fields), id: try ReplyDecoder.leaseID(fields),
                                               ttl: try fields.int64("ttl") ?? 0))
    }
}

/// `LEASE-TTL <id> [--keys]`
enum LeaseTimeToLiveCommand: SpecParsedCommand {
    static var kind: CommandKind { .leaseTTL }
    static let spec = CommandSpec(kind, arguments: ["id"], options: [OptionSpec("keys")])

    static func request(_ value: LeaseTimeToLiveRequest) -> Request { .leaseTimeToLive(value) }

    static func encode(_ value: LeaseTimeToLiveRequest, into buffer: inout ByteBuffer) {
        writeLeaseID("LEASE-TTL", value.id, into: &buffer)
        if value.keys { buffer.writeFlag("keys") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> LeaseTimeToLiveRequest {
        LeaseTimeToLiveRequest(id: Int64(bitPattern: try arguments.positionalHex(0)), keys: arguments.flag("keys"))
    }

    /// The answer names the lease's keys: read on each.
    static func authorize(_ value: LeaseTimeToLiveRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorizeLeaseTimeToLive(value.id, token: token)
    }

    static func encodedSize(_ value: LeaseTimeToLiveRequest) -> Int {
        Protobuf.int64(1, value.id) + Protobuf.bool(2, value.keys)
    }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        let keys = try items.next("KEY", count: try fields.int64("keys") ?? 0).map { $0.arguments[0] }
        return .leaseTimeToLive(LeaseTimeToLiveResponse(
            header: try ReplyDecoder.header(fields), id: try ReplyDecoder.leaseID(fields), ttl: try fields.int64("ttl") ?? 0,
            grantedTTL: try fields.int64("granted_ttl") ?? 0, keys: keys))
    }
}

/// `LEASE-LIST`: etcd's LeaseLeases.
enum LeaseListCommand: BareCommandDefinition {
    static var kind: CommandKind { .leaseList }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .leaseList }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.validTokenIfGiven(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        var leases: [Int64] = []
        for item in try items.next("LEASE", count: try fields.int64("leases") ?? 0) {
            guard let id = Integers.hex(item.arguments[0]) else {
                throw WireError.protocolViolation("malformed reply: bad LEASE item")
            }
            leases.append(Int64(bitPattern: id))
        }
        return .leaseList(LeaseLeasesResponse(header: try ReplyDecoder.header(fields), leases: leases))
    }
}
