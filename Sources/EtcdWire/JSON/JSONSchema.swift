/// etcd's messages as etcd's gateway spells them in JSON: each message's fields in declaration order
/// (the order jsonpb writes them), with their proto names (`cluster_id`, `dbSize`, `peerURLs`: etcd's
/// gateway writes proto names, `OrigName`), numbers and types, from etcd 3.4's `rpc.proto`,
/// `kv.proto` and `auth.proto`. `JSONTranscoder` turns a JSON request into the message's protobuf
/// encoding (which `EtcdWire.decodeRequest` reads) and a response's protobuf encoding into JSON, so
/// each message's fields are defined once for both encodings by the protobuf decoders and encoders,
/// and here only named.
public enum JSONSchema: Hashable, Sendable {
    case empty
    case responseHeader, headerOnly, keyValue, event
    case rangeRequest, rangeResponse, putRequest, putResponse, deleteRangeRequest, deleteRangeResponse
    case requestOp, responseOp, compare, txnRequest, txnResponse, compactionRequest
    case hashKVRequest, hashKVResponse, hashResponse, snapshotResponse
    case watchRequest, watchCreateRequest, watchCancelRequest, watchResponse
    case leaseGrantRequest, leaseGrantResponse, leaseID, leaseKeepAliveResponse
    case leaseTimeToLiveRequest, leaseTimeToLiveResponse, leaseStatus, leaseLeasesResponse
    case member, memberAddRequest, memberAddResponse, memberIDRequest, memberUpdateRequest, membersResponse
    case moveLeaderRequest, alarmRequest, alarmMember, alarmResponse, alarmsWithoutHeader, statusResponse
    case authenticateRequest, authenticateResponse, userAddRequest, userAddOptions, nameRequest, roleRequest
    case userChangePasswordRequest, userGrantRoleRequest, userRevokeRoleRequest, rolesResponse, usersResponse
    case permission, roleGetResponse, roleGrantPermissionRequest, roleRevokePermissionRequest
    case authStatusResponse

    /// The go type name jsonpb reports in errors.
    var goName: String { "etcdserverpb.\(self)" }

    public var fields: [JSONField] { JSONSchema.table[self]?.fields ?? [] }

    /// The field a JSON member names: its proto name or its JSON (lowerCamelCase) name, as jsonpb accepts both.
    func field(named name: String) -> JSONField? {
        guard let info = JSONSchema.table[self], let index = info.byName[name] else { return nil }
        return info.fields[index]
    }

    func field(number: UInt32) -> JSONField? {
        guard let info = JSONSchema.table[self], let index = info.byNumber[number] else { return nil }
        return info.fields[index]
    }

    private struct Info {
        var fields: [JSONField]
        var byName: [String: Int] = [:]
        var byNumber: [UInt32: Int] = [:]

        init(_ fields: [JSONField]) {
            self.fields = fields
            for (index, field) in fields.enumerated() {
                byName[field.name] = index
                byName[field.jsonName] = index
                byNumber[field.number] = index
            }
        }
    }

    private static let table: [JSONSchema: Info] = {
        typealias F = JSONField
        let header = F("header", 1, .message(.responseHeader))
        func headerAnd(_ more: F...) -> Info { Info([header] + more) }
        var table: [JSONSchema: Info] = [:]
        table[.empty] = Info([])
        table[.responseHeader] = Info([F("cluster_id", 1, .uint64), F("member_id", 2, .uint64), F("revision", 3, .int64),
                                       F("raft_term", 4, .uint64)])
        table[.headerOnly] = headerAnd()
        table[.keyValue] = Info([F("key", 1, .bytes), F("create_revision", 2, .int64), F("mod_revision", 3, .int64),
                                 F("version", 4, .int64), F("value", 5, .bytes), F("lease", 6, .int64)])
        table[.event] = Info([F("type", 1, .enumeration(.eventType)), F("kv", 2, .message(.keyValue)),
                              F("prev_kv", 3, .message(.keyValue))])
        table[.rangeRequest] = Info([
            F("key", 1, .bytes), F("range_end", 2, .bytes), F("limit", 3, .int64), F("revision", 4, .int64),
            F("sort_order", 5, .enumeration(.sortOrder)), F("sort_target", 6, .enumeration(.sortTarget)),
            F("serializable", 7, .bool), F("keys_only", 8, .bool), F("count_only", 9, .bool),
            F("min_mod_revision", 10, .int64), F("max_mod_revision", 11, .int64),
            F("min_create_revision", 12, .int64), F("max_create_revision", 13, .int64)])
        table[.rangeResponse] = headerAnd(F("kvs", 2, .message(.keyValue), repeated: true), F("more", 3, .bool),
                                          F("count", 4, .int64))
        table[.putRequest] = Info([F("key", 1, .bytes), F("value", 2, .bytes), F("lease", 3, .int64), F("prev_kv", 4, .bool),
                                   F("ignore_value", 5, .bool), F("ignore_lease", 6, .bool)])
        table[.putResponse] = headerAnd(F("prev_kv", 2, .message(.keyValue)))
        table[.deleteRangeRequest] = Info([F("key", 1, .bytes), F("range_end", 2, .bytes), F("prev_kv", 3, .bool)])
        table[.deleteRangeResponse] = headerAnd(F("deleted", 2, .int64), F("prev_kvs", 3, .message(.keyValue), repeated: true))
        table[.requestOp] = Info([F("request_range", 1, .message(.rangeRequest), oneof: true),
                                  F("request_put", 2, .message(.putRequest), oneof: true),
                                  F("request_delete_range", 3, .message(.deleteRangeRequest), oneof: true),
                                  F("request_txn", 4, .message(.txnRequest), oneof: true)])
        table[.responseOp] = Info([F("response_range", 1, .message(.rangeResponse), oneof: true),
                                   F("response_put", 2, .message(.putResponse), oneof: true),
                                   F("response_delete_range", 3, .message(.deleteRangeResponse), oneof: true),
                                   F("response_txn", 4, .message(.txnResponse), oneof: true)])
        table[.compare] = Info([
            F("result", 1, .enumeration(.compareResult)), F("target", 2, .enumeration(.compareTarget)), F("key", 3, .bytes),
            F("version", 4, .int64, oneof: true), F("create_revision", 5, .int64, oneof: true),
            F("mod_revision", 6, .int64, oneof: true), F("value", 7, .bytes, oneof: true),
            F("lease", 8, .int64, oneof: true), F("range_end", 64, .bytes)])
        table[.txnRequest] = Info([F("compare", 1, .message(.compare), repeated: true),
                                   F("success", 2, .message(.requestOp), repeated: true),
                                   F("failure", 3, .message(.requestOp), repeated: true)])
        table[.txnResponse] = headerAnd(F("succeeded", 2, .bool), F("responses", 3, .message(.responseOp), repeated: true))
        table[.compactionRequest] = Info([F("revision", 1, .int64), F("physical", 2, .bool)])
        table[.hashKVRequest] = Info([F("revision", 1, .int64)])
        table[.hashKVResponse] = headerAnd(F("hash", 2, .uint32), F("compact_revision", 3, .int64))
        table[.hashResponse] = headerAnd(F("hash", 2, .uint32))
        table[.snapshotResponse] = headerAnd(F("remaining_bytes", 2, .uint64), F("blob", 3, .bytes))
        table[.watchRequest] = Info([F("create_request", 1, .message(.watchCreateRequest), oneof: true),
                                     F("cancel_request", 2, .message(.watchCancelRequest), oneof: true),
                                     F("progress_request", 3, .message(.empty), oneof: true)])
        table[.watchCreateRequest] = Info([
            F("key", 1, .bytes), F("range_end", 2, .bytes), F("start_revision", 3, .int64), F("progress_notify", 4, .bool),
            F("filters", 5, .enumeration(.filterType), repeated: true), F("prev_kv", 6, .bool), F("watch_id", 7, .int64),
            F("fragment", 8, .bool)])
        table[.watchCancelRequest] = Info([F("watch_id", 1, .int64)])
        table[.watchResponse] = headerAnd(
            F("watch_id", 2, .int64), F("created", 3, .bool), F("canceled", 4, .bool), F("compact_revision", 5, .int64),
            F("cancel_reason", 6, .string), F("fragment", 7, .bool), F("events", 11, .message(.event), repeated: true))
        table[.leaseGrantRequest] = Info([F("TTL", 1, .int64), F("ID", 2, .int64)])
        table[.leaseGrantResponse] = headerAnd(F("ID", 2, .int64), F("TTL", 3, .int64), F("error", 4, .string))
        table[.leaseID] = Info([F("ID", 1, .int64)])
        table[.leaseKeepAliveResponse] = headerAnd(F("ID", 2, .int64), F("TTL", 3, .int64))
        table[.leaseTimeToLiveRequest] = Info([F("ID", 1, .int64), F("keys", 2, .bool)])
        table[.leaseTimeToLiveResponse] = headerAnd(F("ID", 2, .int64), F("TTL", 3, .int64), F("grantedTTL", 4, .int64),
                                                    F("keys", 5, .bytes, repeated: true))
        table[.leaseStatus] = Info([F("ID", 1, .int64)])
        table[.leaseLeasesResponse] = headerAnd(F("leases", 2, .message(.leaseStatus), repeated: true))
        table[.member] = Info([F("ID", 1, .uint64), F("name", 2, .string), F("peerURLs", 3, .string, repeated: true),
                               F("clientURLs", 4, .string, repeated: true), F("isLearner", 5, .bool)])
        table[.memberAddRequest] = Info([F("peerURLs", 1, .string, repeated: true), F("isLearner", 2, .bool)])
        table[.memberAddResponse] = headerAnd(F("member", 2, .message(.member)),
                                              F("members", 3, .message(.member), repeated: true))
        table[.memberIDRequest] = Info([F("ID", 1, .uint64)])
        table[.memberUpdateRequest] = Info([F("ID", 1, .uint64), F("peerURLs", 2, .string, repeated: true)])
        table[.membersResponse] = headerAnd(F("members", 2, .message(.member), repeated: true))
        table[.moveLeaderRequest] = Info([F("targetID", 1, .uint64)])
        table[.alarmRequest] = Info([F("action", 1, .enumeration(.alarmAction)), F("memberID", 2, .uint64),
                                     F("alarm", 3, .enumeration(.alarmType))])
        table[.alarmMember] = Info([F("memberID", 1, .uint64), F("alarm", 2, .enumeration(.alarmType))])
        table[.alarmResponse] = headerAnd(F("alarms", 2, .message(.alarmMember), repeated: true))
        table[.alarmsWithoutHeader] = Info([F("alarms", 2, .message(.alarmMember), repeated: true)])
        table[.statusResponse] = headerAnd(
            F("version", 2, .string), F("dbSize", 3, .int64), F("leader", 4, .uint64), F("raftIndex", 5, .uint64),
            F("raftTerm", 6, .uint64), F("raftAppliedIndex", 7, .uint64), F("errors", 8, .string, repeated: true),
            F("dbSizeInUse", 9, .int64), F("isLearner", 10, .bool))
        table[.authenticateRequest] = Info([F("name", 1, .string), F("password", 2, .string)])
        table[.authenticateResponse] = headerAnd(F("token", 2, .string))
        table[.userAddRequest] = Info([F("name", 1, .string), F("password", 2, .string),
                                       F("options", 3, .message(.userAddOptions))])
        table[.userAddOptions] = Info([F("no_password", 1, .bool)])
        table[.nameRequest] = Info([F("name", 1, .string)])
        table[.roleRequest] = Info([F("role", 1, .string)])
        table[.userChangePasswordRequest] = Info([F("name", 1, .string), F("password", 2, .string)])
        table[.userGrantRoleRequest] = Info([F("user", 1, .string), F("role", 2, .string)])
        table[.userRevokeRoleRequest] = Info([F("name", 1, .string), F("role", 2, .string)])
        table[.rolesResponse] = headerAnd(F("roles", 2, .string, repeated: true))
        table[.usersResponse] = headerAnd(F("users", 2, .string, repeated: true))
        table[.permission] = Info([F("permType", 1, .enumeration(.permissionType)), F("key", 2, .bytes),
                                   F("range_end", 3, .bytes)])
        table[.roleGetResponse] = headerAnd(F("perm", 2, .message(.permission), repeated: true))
        table[.roleGrantPermissionRequest] = Info([F("name", 1, .string), F("perm", 2, .message(.permission))])
        table[.roleRevokePermissionRequest] = Info([F("role", 1, .string), F("key", 2, .bytes), F("range_end", 3, .bytes)])
        table[.authStatusResponse] = headerAnd(F("enabled", 2, .bool), F("authRevision", 3, .uint64))
        return table
    }()
}

/// One field of a message in `JSONSchema`.
public struct JSONField: Sendable {
    public enum Kind: Sendable {
        case int64, uint64, uint32, bool, bytes, string
        case enumeration(JSONEnum)
        case message(JSONSchema)
    }

    /// The proto name, which etcd's gateway writes.
    public let name: String
    /// protoc's JSON name (`range_end` → `rangeEnd`), which jsonpb also reads.
    public let jsonName: String
    public let number: UInt32
    public let kind: Kind
    public let repeated: Bool
    /// A member of a oneof: present (written, and sent on) even when it holds a zero value.
    public let oneof: Bool

    init(_ name: String, _ number: UInt32, _ kind: Kind, repeated: Bool = false, oneof: Bool = false) {
        self.name = name
        self.number = number
        self.kind = kind
        self.repeated = repeated
        self.oneof = oneof
        var camel = ""
        var upper = false
        for character in name {
            if character == "_" {
                upper = true
            } else {
                camel += upper ? character.uppercased() : String(character)
                upper = false
            }
        }
        jsonName = camel
    }
}

/// etcd's enums, by value (each starts at 0 and has no gaps).
public enum JSONEnum: Sendable {
    case sortOrder, sortTarget, compareResult, compareTarget, filterType, alarmAction, alarmType, eventType, permissionType

    public var names: [String] {
        switch self {
        case .sortOrder: ["NONE", "ASCEND", "DESCEND"]
        case .sortTarget: ["KEY", "VERSION", "CREATE", "MOD", "VALUE"]
        case .compareResult: ["EQUAL", "GREATER", "LESS", "NOT_EQUAL"]
        case .compareTarget: ["VERSION", "CREATE", "MOD", "VALUE", "LEASE"]
        case .filterType: ["NOPUT", "NODELETE"]
        case .alarmAction: ["GET", "ACTIVATE", "DEACTIVATE"]
        case .alarmType: ["NONE", "NOSPACE", "CORRUPT"]
        case .eventType: ["PUT", "DELETE"]
        case .permissionType: ["READ", "WRITE", "READWRITE"]
        }
    }

    /// The Go type jsonpb names in errors.
    var goName: String {
        switch self {
        case .sortOrder: "etcdserverpb.RangeRequest_SortOrder"
        case .sortTarget: "etcdserverpb.RangeRequest_SortTarget"
        case .compareResult: "etcdserverpb.Compare_CompareResult"
        case .compareTarget: "etcdserverpb.Compare_CompareTarget"
        case .filterType: "etcdserverpb.WatchCreateRequest_FilterType"
        case .alarmAction: "etcdserverpb.AlarmRequest_AlarmAction"
        case .alarmType: "etcdserverpb.AlarmType"
        case .eventType: "mvccpb.Event_EventType"
        case .permissionType: "authpb.Permission_Type"
        }
    }
}
