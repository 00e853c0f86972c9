import KVStore

// The connection's own commands and etcd's Maintenance and Cluster calls: HELLO, PING, STATUS, MEMBERS,
// HEALTH, HASH, DEFRAG, ALARM, SNAPSHOT, SNAPSHOT-NEXT.

/// `HELLO <version>`
enum HelloCommand: SpecParsedCommand {
    static let spec = CommandSpec(.hello, arguments: ["version"])

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
}

/// `PING`
enum PingCommand: BareCommandDefinition {
    static let spec = CommandSpec(.ping)

    static func request(_ value: Void) -> Request { .ping }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// etcd has no such message.
    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// `STATUS`: etcd's Maintenance.Status, open to anyone as on etcd.
enum StatusCommand: BareCommandDefinition {
    static let spec = CommandSpec(.status)

    static func request(_ value: Void) -> Request { .status }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// `MEMBERS`: etcd's Cluster.MemberList, open to anyone as on etcd.
enum MembersCommand: BareCommandDefinition {
    static let spec = CommandSpec(.members)

    static func request(_ value: Void) -> Request { .memberList }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// `HEALTH`: etcd's `/health`, open to anyone.
enum HealthCommand: BareCommandDefinition {
    static let spec = CommandSpec(.health)

    static func request(_ value: Void) -> Request { .health }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// `HASH [--rev=N]`: etcd's HashKV.
enum HashCommand: SpecParsedCommand {
    static let spec = CommandSpec(.hash, options: [OptionSpec("rev", .integer)])

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
}

/// `DEFRAG`: etcd's Defragment (nothing to do in memory).
enum DefragCommand: BareCommandDefinition {
    static let spec = CommandSpec(.defrag)

    static func request(_ value: Void) -> Request { .defragment }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// `ALARM LIST` | `ALARM DISARM`
enum AlarmCommand: SpecParsedCommand {
    static let spec = CommandSpec(.alarm, arguments: ["LIST|DISARM"])

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
}

/// `SNAPSHOT [--rev=N]`: starts streaming a snapshot of the store.
enum SnapshotCommand: SpecParsedCommand {
    static let spec = CommandSpec(.snapshot, options: [OptionSpec("rev", .integer)])

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
}

/// `SNAPSHOT-NEXT`: the next chunk of the snapshot the connection started (already authorized then).
enum SnapshotNextCommand: BareCommandDefinition {
    static let spec = CommandSpec(.snapshotNext)

    static func request(_ value: Void) -> Request { .snapshotNext }

    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// etcd has no such message.
    static func encodedSize(_ value: Void) -> Int { 0 }
}
