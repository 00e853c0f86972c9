import KVProtocol
import KVStore
import Protobuf

/// A JSON request etcd's gateway would refuse: its text was not JSON of the message (Go's texts,
/// `INVALID_ARGUMENT`), or the message it holds was refused as a protobuf message would be.
public enum JSONRequestError: Error, Equatable, Sendable {
    case json(JSONDecodingError)
    case wire(EtcdWireError)

    /// The status the gateway answers with.
    public var status: GRPCStatus {
        switch self {
        case .json(let error): GRPCStatus(.invalidArgument, error.message)
        case .wire(let error): EtcdWire.status(for: error)
        }
    }
}

extension EtcdWire {
    /// The messages a method reads and answers with, as `JSONSchema`s. etcd's maintenance server
    /// answers Alarm, Defragment and MoveLeader without a header (its handlers never fill one in), so
    /// their JSON replies leave it out: `{}`, or `{"alarms":[…]}`.
    public static func jsonSchemas(_ method: EtcdMethod) -> (request: JSONSchema, response: JSONSchema) {
        switch method {
        case .range: (.rangeRequest, .rangeResponse)
        case .put: (.putRequest, .putResponse)
        case .deleteRange: (.deleteRangeRequest, .deleteRangeResponse)
        case .txn: (.txnRequest, .txnResponse)
        case .compact: (.compactionRequest, .headerOnly)
        case .watch: (.watchRequest, .watchResponse)
        case .leaseGrant: (.leaseGrantRequest, .leaseGrantResponse)
        case .leaseRevoke: (.leaseID, .headerOnly)
        case .leaseKeepAlive: (.leaseID, .leaseKeepAliveResponse)
        case .leaseTimeToLive: (.leaseTimeToLiveRequest, .leaseTimeToLiveResponse)
        case .leaseLeases: (.empty, .leaseLeasesResponse)
        case .memberAdd: (.memberAddRequest, .memberAddResponse)
        case .memberRemove, .memberPromote: (.memberIDRequest, .membersResponse)
        case .memberUpdate: (.memberUpdateRequest, .membersResponse)
        case .memberList: (.empty, .membersResponse)
        case .alarm: (.alarmRequest, .alarmsWithoutHeader)
        case .status: (.empty, .statusResponse)
        case .defragment: (.empty, .empty)
        case .downgrade: (.empty, .headerOnly)
        case .hash: (.empty, .hashResponse)
        case .hashKV: (.hashKVRequest, .hashKVResponse)
        case .snapshot: (.empty, .snapshotResponse)
        case .moveLeader: (.moveLeaderRequest, .empty)
        case .authEnable, .authDisable: (.empty, .headerOnly)
        case .authStatus: (.empty, .authStatusResponse)
        case .authenticate: (.authenticateRequest, .authenticateResponse)
        case .userAdd: (.userAddRequest, .headerOnly)
        case .userGet: (.nameRequest, .rolesResponse)
        case .userList: (.empty, .usersResponse)
        case .userDelete: (.nameRequest, .headerOnly)
        case .userChangePassword: (.userChangePasswordRequest, .headerOnly)
        case .userGrantRole: (.userGrantRoleRequest, .headerOnly)
        case .userRevokeRole: (.userRevokeRoleRequest, .headerOnly)
        case .roleAdd: (.nameRequest, .headerOnly)
        case .roleGet: (.roleRequest, .roleGetResponse)
        case .roleList: (.empty, .rolesResponse)
        case .roleDelete: (.roleRequest, .headerOnly)
        case .roleGrantPermission: (.roleGrantPermissionRequest, .headerOnly)
        case .roleRevokePermission: (.roleRevokePermissionRequest, .headerOnly)
        }
    }

    /// Decodes one JSON request of `method` (for Watch and LeaseKeepAlive: one value of the client's
    /// stream). `nil` — an empty body — is the message with every field at its default, as etcd's
    /// gateway reads it.
    public static func decodeJSONRequest(_ method: EtcdMethod, _ value: JSONValue?) throws(JSONRequestError) -> EtcdCall {
        let protobuf: [UInt8]
        do {
            protobuf = try value.map { value throws(JSONDecodingError) in
                try JSONTranscoder.protobuf(from: value, schema: jsonSchemas(method).request)
            } ?? []
        } catch {
            throw .json(error)
        }
        do {
            return try decodeRequest(method, protobuf)
        } catch {
            throw .wire(error)
        }
    }

    /// Decodes a whole body holding one JSON request of `method` (what follows the first value is
    /// ignored, as etcd's gateway ignores it).
    public static func decodeJSONRequest(_ method: EtcdMethod, body: [UInt8]) throws(JSONRequestError) -> EtcdCall {
        var parser = JSONParser(body)
        let value: JSONValue?
        do { value = try parser.next() } catch { throw .json(error) }
        return try decodeJSONRequest(method, value)
    }

    /// Appends `response` as JSON, as etcd's gateway writes the reply of `method`; false, and nothing
    /// appended, where `encodeResponse` has no message for it.
    public static func appendJSONResponse(_ response: Response, method: EtcdMethod, to writer: inout JSONWriter) -> Bool {
        guard let protobuf = encodeResponse(response) else { return false }
        appendJSON(protobuf: protobuf, schema: jsonSchemas(method).response, to: &writer)
        return true
    }

    /// Appends one of etcd's messages as JSON, as the reply of `method`.
    public static func appendJSONMessage(_ message: some EtcdMessage, method: EtcdMethod, to writer: inout JSONWriter) {
        appendJSON(protobuf: message.encoded(), schema: jsonSchemas(method).response, to: &writer)
    }

    private static func appendJSON(protobuf: [UInt8], schema: JSONSchema, to writer: inout JSONWriter) {
        do {
            try JSONTranscoder.json(fromProtobuf: protobuf, schema: schema, into: &writer)
        } catch {
            // Our encoders write valid messages of these schemas; reaching this is a bug.
            preconditionFailure("EtcdWire: a response message does not match its JSON schema \(schema): \(error)")
        }
    }

    /// etcd's gateway error body: `{"error":"…","message":"…","code":N}` (grpc-gateway's `errorBody`,
    /// `details` left out when empty, as jsonpb omits it).
    public static func jsonErrorBody(_ status: GRPCStatus) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":")
        writer.string(status.message)
        writer.raw(",\"message\":")
        writer.string(status.message)
        writer.raw(",\"code\":")
        writer.number(status.code.rawValue)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// The error object grpc-gateway writes into a server stream that fails before or after its first
    /// message: `{"error":{"grpc_code":N,"http_code":N,"message":"…","http_status":"…"}}`.
    public static func jsonStreamErrorBody(_ status: GRPCStatus, httpCode: Int, httpStatus: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":{\"grpc_code\":")
        writer.number(status.code.rawValue)
        writer.raw(",\"http_code\":")
        writer.number(httpCode)
        writer.raw(",\"message\":")
        writer.string(status.message)
        writer.raw(",\"http_status\":")
        writer.string(httpStatus)
        writer.raw("}}")
        return writer.bytes
    }
}
