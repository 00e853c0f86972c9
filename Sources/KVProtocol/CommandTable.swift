import KVStore

/// Every command of the protocol, looked up by verb; the single place both the server (decoding) and
/// the clients (encoding) go through.
public enum CommandTable {
    /// The spec of each implemented command.
    public static let specs: [CommandSpec] = [
        HelloCommand.spec, BareCommand.ping, GetCommand.spec, PutCommand.topLevelSpec, DelCommand.spec, TxnCommand.spec,
        CompactCommand.spec, BareCommand.status, BareCommand.members, BareCommand.health, HashCommand.spec,
        LeaseGrantCommand.spec, LeaseIDCommand.revoke, LeaseIDCommand.keepAlive, LeaseTimeToLiveCommand.spec,
        BareCommand.leaseList, WatchCommand.spec, UnwatchCommand.spec, BareCommand.progress,
        SnapshotCommand.spec, BareCommand.snapshotNext, AuthenticateCommand.spec, BareCommand.defrag, AlarmCommand.spec,
    ] + AuthManagementCommand.specs

    /// Verbs reserved for a later protocol slice (snapshots, maintenance); they answer
    /// `NOT_IMPLEMENTED` rather than `UNKNOWN_COMMAND`.
    public static let plannedVerbs: [String] = []

    public static func spec(for kind: CommandKind) -> CommandSpec {
        specs.first { $0.kind == kind }!
    }

    /// The command a verb names (case-insensitive, aliases included).
    public static func lookup(_ verb: some Collection<UInt8>) -> CommandKind? {
        guard verb.count <= 16 else { return nil }
        let upper = String(decoding: verb.map(asciiUppercased), as: UTF8.self)
        if let kind = CommandKind(rawValue: upper) { return kind }
        return specs.first { $0.aliases.contains(upper) }?.kind
    }

    /// Decodes the arguments of the command `verb` names. `maxTxnOps` bounds the nesting of a `TXN`
    /// (see `TxnSyntax`).
    static func decode(verb: Token, arguments: ArraySlice<Token>, maxTxnOps: Int = .max) throws(WireError) -> Request {
        guard !verb.isQuoted, let kind = lookup(verb.bytes) else {
            if !verb.isQuoted && plannedVerbs.contains(verb.upperText) {
                throw WireError.notImplemented("command '\(verb.upperText)' is planned but not available in protocol \(ProtocolVersion.current)")
            }
            throw WireError.unknownCommand(verb: verb)
        }
        switch kind {
        case .hello: return .hello(try HelloCommand.decode(arguments))
        case .ping: _ = try Arguments(arguments, spec: BareCommand.ping); return .ping
        case .get: return .range(try GetCommand.decode(arguments))
        case .put: return try PutCommand.decodeTopLevel(arguments)
        case .del: return .deleteRange(try DelCommand.decode(arguments))
        case .txn: return .txn(try TxnSyntax.decode(arguments, maxOps: maxTxnOps))
        case .compact: return .compact(try CompactCommand.decode(arguments))
        case .status: _ = try Arguments(arguments, spec: BareCommand.status); return .status
        case .members: _ = try Arguments(arguments, spec: BareCommand.members); return .memberList
        case .health: _ = try Arguments(arguments, spec: BareCommand.health); return .health
        case .hash: return .hashKV(try HashCommand.decode(arguments))
        case .leaseGrant: return .leaseGrant(try LeaseGrantCommand.decode(arguments))
        case .leaseRevoke: return .leaseRevoke(try LeaseIDCommand.decode(Arguments(arguments, spec: LeaseIDCommand.revoke)))
        case .leaseKeepAlive:
            return .leaseKeepAlive(try LeaseIDCommand.decode(Arguments(arguments, spec: LeaseIDCommand.keepAlive)))
        case .leaseTTL: return .leaseTimeToLive(try LeaseTimeToLiveCommand.decode(arguments))
        case .leaseList: _ = try Arguments(arguments, spec: BareCommand.leaseList); return .leaseList
        case .watch: return .watch(try WatchCommand.decode(arguments))
        case .unwatch: return .unwatch(try UnwatchCommand.decode(arguments))
        case .progress: _ = try Arguments(arguments, spec: BareCommand.progress); return .progress
        case .snapshot: return .snapshot(try SnapshotCommand.decode(arguments))
        case .snapshotNext: _ = try Arguments(arguments, spec: BareCommand.snapshotNext); return .snapshotNext
        case .authenticate: return .authenticate(try AuthenticateCommand.decode(arguments))
        case .authEnable, .authDisable, .authStatus, .userAdd, .userDelete, .userGet, .userList, .userPasswd,
             .userGrant, .userRevoke, .roleAdd, .roleDelete, .roleGet, .roleList, .roleGrant, .roleRevoke:
            return .auth(try AuthManagementCommand.decode(kind, arguments))
        case .defrag: _ = try Arguments(arguments, spec: BareCommand.defrag); return .defragment
        case .alarm: return .alarm(try AlarmCommand.decode(arguments))
        }
    }

    /// Writes the verb and arguments of `request` (no tag, no terminator).
    static func encode(_ request: Request, into buffer: inout ByteBuffer) {
        switch request {
        case .hello(let value): HelloCommand.encode(value, into: &buffer, inTxn: false)
        case .ping: buffer.writeASCII("PING")
        case .range(let value): GetCommand.encode(value, into: &buffer, inTxn: false)
        case .put(let value): PutCommand.encode(value, into: &buffer, inTxn: false)
        case .deleteRange(let value): DelCommand.encode(value, into: &buffer, inTxn: false)
        case .txn(let value): TxnSyntax.encode(value, into: &buffer)
        case .compact(let value): CompactCommand.encode(value, into: &buffer, inTxn: false)
        case .status: buffer.writeASCII("STATUS")
        case .memberList: buffer.writeASCII("MEMBERS")
        case .health: buffer.writeASCII("HEALTH")
        case .hashKV(let value): HashCommand.encode(value, into: &buffer, inTxn: false)
        case .leasedPut(let value): PutCommand.encode(value, into: &buffer)
        case .leaseGrant(let value): LeaseGrantCommand.encode(value, into: &buffer, inTxn: false)
        case .leaseRevoke(let id): LeaseIDCommand.encode("LEASE-REVOKE", id, into: &buffer)
        case .leaseKeepAlive(let id): LeaseIDCommand.encode("LEASE-KEEPALIVE", id, into: &buffer)
        case .leaseTimeToLive(let value): LeaseTimeToLiveCommand.encode(value, into: &buffer, inTxn: false)
        case .leaseList: buffer.writeASCII("LEASE-LIST")
        case .watch(let value): WatchCommand.encode(value, into: &buffer, inTxn: false)
        case .unwatch(let id): UnwatchCommand.encode(id, into: &buffer, inTxn: false)
        case .progress: buffer.writeASCII("PROGRESS")
        case .snapshot(let value): SnapshotCommand.encode(value, into: &buffer, inTxn: false)
        case .snapshotNext: buffer.writeASCII("SNAPSHOT-NEXT")
        case .authenticate(let value): AuthenticateCommand.encode(value, into: &buffer)
        case .auth(let value): AuthManagementCommand.encode(value, into: &buffer)
        case .defragment: buffer.writeASCII("DEFRAG")
        case .alarm(let action): buffer.writeASCII("ALARM "); buffer.writeASCII(action == .list ? "LIST" : "DISARM")
        }
    }
}
