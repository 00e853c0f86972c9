import KVStore

/// The commands of protocol version 1.
public enum CommandKind: String, Hashable, Sendable, CaseIterable {
    case hello = "HELLO"
    case ping = "PING"
    case get = "GET"
    case put = "PUT"
    case del = "DEL"
    case txn = "TXN"
    case compact = "COMPACT"
    case status = "STATUS"
    case members = "MEMBERS"
    case health = "HEALTH"
    case hash = "HASH"
    case leaseGrant = "LEASE-GRANT"
    case leaseRevoke = "LEASE-REVOKE"
    case leaseKeepAlive = "LEASE-KEEPALIVE"
    case leaseTTL = "LEASE-TTL"
    case leaseList = "LEASE-LIST"
    case watch = "WATCH"
    case unwatch = "UNWATCH"
    case progress = "PROGRESS"
    case snapshot = "SNAPSHOT"
    case snapshotNext = "SNAPSHOT-NEXT"
    case authenticate = "AUTHENTICATE"
    case authEnable = "AUTH-ENABLE"
    case authDisable = "AUTH-DISABLE"
    case authStatus = "AUTH-STATUS"
    case userAdd = "USER-ADD"
    case userDelete = "USER-DELETE"
    case userGet = "USER-GET"
    case userList = "USER-LIST"
    case userPasswd = "USER-PASSWD"
    case userGrant = "USER-GRANT"
    case userRevoke = "USER-REVOKE"
    case roleAdd = "ROLE-ADD"
    case roleDelete = "ROLE-DELETE"
    case roleGet = "ROLE-GET"
    case roleList = "ROLE-LIST"
    case roleGrant = "ROLE-GRANT"
    case roleRevoke = "ROLE-REVOKE"
    case defrag = "DEFRAG"
    case alarm = "ALARM"

    /// The canonical (upper-case) verb.
    public var verb: String { rawValue }
}

/// `HELLO <version>`: the client's protocol version.
public struct HelloRequest: Hashable, Sendable {
    public var protocolVersion: Int64

    public init(protocolVersion: Int64 = ProtocolVersion.current) {
        self.protocolVersion = protocolVersion
    }
}

/// `HASH [--rev=N]`: etcd's HashKV (0: the current revision).
public struct HashKVRequest: Hashable, Sendable {
    public var revision: Int64

    public init(revision: Int64 = 0) {
        self.revision = revision
    }
}

/// Protocol versions.
public enum ProtocolVersion {
    /// The version this module speaks; a connection that never says `HELLO` is assumed to speak it.
    public static let current: Int64 = 1

    /// The server's answer to `HELLO`: the greeting when the client's version is spoken here,
    /// `UNSUPPORTED_VERSION` otherwise.
    public static func negotiate(_ request: HelloRequest, server: String, version: String,
                                 etcdVersion: String = "") -> Result<Response, WireError> {
        guard request.protocolVersion == current else {
            return .failure(.unsupportedVersion(requested: request.protocolVersion, supported: current))
        }
        return .success(.hello(HelloResponse(protocolVersion: current, server: server, version: version,
                                             etcdVersion: etcdVersion)))
    }
}

/// A typed request, as a client sends it and a server decodes it.
public enum Request: Hashable, Sendable {
    case hello(HelloRequest)
    case ping
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
    case status
    case memberList
    case health
    case hashKV(HashKVRequest)
    /// `PUT … --ttl=N`.
    case leasedPut(LeasedPutRequest)
    case leaseGrant(LeaseGrantRequest)
    /// The lease id.
    case leaseRevoke(Int64)
    /// The lease id; one renewal per request.
    case leaseKeepAlive(Int64)
    case leaseTimeToLive(LeaseTimeToLiveRequest)
    case leaseList
    case watch(WatchRequest)
    /// The watch id.
    case unwatch(Int64)
    /// Requests a progress notification on every watch of the connection.
    case progress
    /// Starts streaming a snapshot of the store (one per connection; a new one replaces it).
    case snapshot(SnapshotRequest)
    /// Takes the next chunk of the connection's snapshot.
    case snapshotNext
    /// Logs the connection in as a user.
    case authenticate(AuthenticateRequest)
    /// Manages users, roles and the auth switch.
    case auth(AuthRequest)
    /// etcd's Defragment (nothing to do in memory; answered with a header).
    case defragment
    /// etcd's Alarm: list the raised alarms, or disarm them.
    case alarm(AlarmAction)

    /// The command this request is an instance of (`PUT … --ttl` is a PUT).
    public var kind: CommandKind { visitDefinition(CommandKindVisitor()) }
}

/// `ALARM LIST` / `ALARM DISARM`: etcd's alarm actions a client may take (the server raises alarms itself).
public enum AlarmAction: String, Hashable, Sendable {
    case list = "LIST"
    case disarm = "DISARM"
}

/// `SNAPSHOT [--rev=N]`: a point-in-time snapshot of the store at revision N (0: now).
public struct SnapshotRequest: Hashable, Sendable {
    public var revision: Int64

    public init(revision: Int64 = 0) {
        self.revision = revision
    }
}

/// A decoded request line: the optional tag and the request.
public struct RequestLine: Hashable, Sendable {
    public var tag: RequestTag?
    public var request: Request

    public init(tag: RequestTag? = nil, _ request: Request) {
        self.tag = tag
        self.request = request
    }
}

/// A request line that could not be decoded, with the tag to answer it with (when one was readable).
public struct RequestDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var tag: RequestTag?
    public var error: WireError

    public init(tag: RequestTag?, error: WireError) {
        self.tag = tag
        self.error = error
    }

    public var description: String { error.description }
}
