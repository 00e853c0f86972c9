import KVStore

// The connection's own commands and etcd's Maintenance and Cluster calls: HELLO, PING, STATUS, MEMBERS,
// HEALTH, HASH, DEFRAG, ALARM, SNAPSHOT, SNAPSHOT-NEXT.

/// `HELLO <version>`
enum HelloCommand: SpecParsedCommand {
    static var kind: CommandKind { .hello }
    static let spec = CommandSpec(kind, arguments: ["version"])

    static func request(_ value: HelloRequest) -> Request { .hello(value) }

    static func encode(_ value: HelloRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("HELLO ")
        buffer.writeDecimal(value.protocolVersion)
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> HelloRequest {
        HelloRequest(protocolVersion: try arguments.positionalInt64(0))
    }

    static func authorize(_ value: HelloRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// etcd has no such message.
    static func encodedSize(_ value: HelloRequest) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .hello(HelloResponse(protocolVersion: try fields.int64("proto") ?? 0, server: fields.text("server") ?? "",
                             version: fields.text("version") ?? "", etcdVersion: fields.text("etcd") ?? ""))
    }
}

/// `PING`
enum PingCommand: BareCommandDefinition {
    static var kind: CommandKind { .ping }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .ping }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// etcd has no such message.
    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .pong
    }
}

/// `STATUS`: etcd's Maintenance.Status, open to anyone as on etcd.
enum StatusCommand: BareCommandDefinition {
    static var kind: CommandKind { .status }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .status }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .status(try ReplyDecoder.status(fields, &items))
    }
}

/// `MEMBERS`: etcd's Cluster.MemberList, open to anyone as on etcd.
enum MembersCommand: BareCommandDefinition {
    static var kind: CommandKind { .members }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .memberList }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .memberList(try ReplyDecoder.members(fields, &items))
    }
}

/// `HEALTH`: etcd's `/health`, open to anyone.
enum HealthCommand: BareCommandDefinition {
    static var kind: CommandKind { .health }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .health }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        var reason = ""
        if let item = items.peek, item.keyword == "REASON" {
            reason = String(decoding: item.arguments[0], as: UTF8.self)
            items.index += 1
        }
        return .health(HealthResponse(health: try fields.bool("health") ?? false, reason: reason))
    }
}

/// `HASH [--rev=N]`: etcd's HashKV.
enum HashCommand: SpecParsedCommand {
    static var kind: CommandKind { .hash }
    static let spec = CommandSpec(kind, options: [OptionSpec("rev", .integer)])

    static func request(_ value: HashKVRequest) -> Request { .hashKV(value) }

    static func encode(_ value: HashKVRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("HASH")
        if value.revision != 0 { buffer.writeOption("rev", value.revision) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> HashKVRequest {
        HashKVRequest(revision: try arguments.int64("rev") ?? 0)
    }

    static func authorize(_ value: HashKVRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: HashKVRequest) -> Int { Protobuf.int64(1, value.revision) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        let hash = try fields.uint64("hash") ?? 0
        guard hash <= UInt64(UInt32.max) else { throw Fields.bad("hash", fields["hash"] ?? []) }
        return .hashKV(HashKVResponse(header: try ReplyDecoder.header(fields), hash: UInt32(hash),
                                      compactRevision: try fields.int64("compact_rev") ?? 0,
                                      hashRevision: try fields.int64("hash_rev") ?? 0))
    }
}

/// `DEFRAG`: etcd's Defragment (nothing to do in memory).
enum DefragCommand: BareCommandDefinition {
    static var kind: CommandKind { .defrag }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .defragment }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .defragment(try ReplyDecoder.header(fields))
    }
}

/// `ALARM LIST` | `ALARM DISARM`
enum AlarmCommand: SpecParsedCommand {
    static var kind: CommandKind { .alarm }
    static let spec = CommandSpec(kind, arguments: ["LIST|DISARM"])

    static func request(_ value: AlarmAction) -> Request { .alarm(value) }

    static func encode(_ value: AlarmAction, into buffer: inout ByteBuffer) {
        buffer.writeASCII("ALARM ")
        buffer.writeASCII(value == .list ? "LIST" : "DISARM")
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> AlarmAction {
        let token = arguments.positional[0]
        let word = String(decoding: token.bytes, as: UTF8.self).uppercased()
        guard let action = AlarmAction(rawValue: word) else {
            throw WireError.args("ALARM", "invalid action \(token.description) (LIST or DISARM)")
        }
        return action
    }

    /// Listing alarms is open to any user, as etcd's; disarming is root's.
    static func authorize(_ value: AlarmAction, on store: Store, token: String?) throws(AuthError) {
        if value == .disarm { try Access.root(store, token) } else { try Access.validTokenIfGiven(store, token) }
    }

    /// `AlarmRequest{action}`: GET is 0, DEACTIVATE 2.
    static func encodedSize(_ value: AlarmAction) -> Int { Protobuf.int64(1, value == .list ? 0 : 2) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        var alarms: [AlarmMember] = []
        for item in try items.next("ALARM", count: try fields.int64("alarms") ?? 0) {
            guard let id = Integers.hex(item.arguments[0]) else {
                throw WireError.protocolViolation("malformed reply: bad ALARM item")
            }
            alarms.append(AlarmMember(memberID: id, alarm: String(decoding: item.arguments[1], as: UTF8.self)))
        }
        return .alarm(AlarmResponse(header: try ReplyDecoder.header(fields), alarms: alarms))
    }
}

/// `SNAPSHOT [--rev=N]`: starts streaming a snapshot of the store.
enum SnapshotCommand: SpecParsedCommand {
    static var kind: CommandKind { .snapshot }
    static let spec = CommandSpec(kind, options: [OptionSpec("rev", .integer)])

    static func request(_ value: SnapshotRequest) -> Request { .snapshot(value) }

    static func encode(_ value: SnapshotRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("SNAPSHOT")
        if value.revision != 0 { buffer.writeOption("rev", value.revision) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> SnapshotRequest {
        SnapshotRequest(revision: try arguments.int64("rev") ?? 0)
    }

    static func authorize(_ value: SnapshotRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: SnapshotRequest) -> Int { Protobuf.int64(1, value.revision) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .snapshot(SnapshotStartResponse(header: try ReplyDecoder.header(fields),
                                        snapshotRevision: try fields.int64("snapshot_rev") ?? 0))
    }
}

/// `SNAPSHOT-NEXT`: the next chunk of the snapshot the connection started (already authorized then).
enum SnapshotNextCommand: BareCommandDefinition {
    static var kind: CommandKind { .snapshotNext }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .snapshotNext }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// etcd has no such message.
    static func encodedSize(_ value: Void) -> Int { 0 }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        guard let data = ReplyDecoder.hexBytes(fields["data"] ?? []) else { throw Fields.bad("data", fields["data"] ?? []) }
        let done = try fields.bool("done") ?? false
        var sha256: [UInt8] = []
        if done {
            guard let digest = ReplyDecoder.hexBytes(fields["sha256"] ?? []), digest.count == 32 else {
                throw Fields.bad("sha256", fields["sha256"] ?? [])
            }
            sha256 = digest
        }
        return .snapshotChunk(SnapshotChunk(data: data, done: done, size: try fields.int64("size") ?? 0, sha256: sha256))
    }
}
