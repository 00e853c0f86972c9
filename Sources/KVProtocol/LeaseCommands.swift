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
enum LeaseGrantCommand: CommandDefinition {
    static let spec = CommandSpec(.leaseGrant, arguments: ["ttl", "key"], required: 1, variadic: true,
                                  options: [OptionSpec("id", .hex)])

    static func encode(_ value: LeaseGrantRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
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
}

/// `LEASE-REVOKE <id>` and `LEASE-KEEPALIVE <id>`: one lease id.
enum LeaseIDCommand {
    static let revoke = CommandSpec(.leaseRevoke, arguments: ["id"])
    static let keepAlive = CommandSpec(.leaseKeepAlive, arguments: ["id"])

    static func encode(_ verb: StaticString, _ id: Int64, into buffer: inout ByteBuffer) {
        buffer.writeASCII(verb)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeHex(UInt64(bitPattern: id))
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> Int64 {
        Int64(bitPattern: try arguments.positionalHex(0))
    }
}

/// `LEASE-TTL <id> [--keys]`
enum LeaseTimeToLiveCommand: CommandDefinition {
    static let spec = CommandSpec(.leaseTTL, arguments: ["id"], options: [OptionSpec("keys")])

    static func encode(_ value: LeaseTimeToLiveRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        LeaseIDCommand.encode("LEASE-TTL", value.id, into: &buffer)
        if value.keys { buffer.writeFlag("keys") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> LeaseTimeToLiveRequest {
        LeaseTimeToLiveRequest(id: Int64(bitPattern: try arguments.positionalHex(0)), keys: arguments.flag("keys"))
    }
}
