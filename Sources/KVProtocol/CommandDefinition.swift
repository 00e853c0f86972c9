import KVStore

/// One command, defined once: its verb and argument spec, how a server reads it from a line and a client
/// writes it, the `Request` it stands for, what a user needs to be allowed to make it, its size as etcd
/// measures it, and how a client reads its reply. The command table (`CommandTable`), the request
/// encoder and decoder, authorization (`Request.authorize`), the size limit (`Request.encodedSize`) and
/// the reply decoder (`ReplyDecoder`) are built from these definitions instead of one switch each.
///
/// Adding a command: a `CommandKind` and a `Request` case; its definition, listed in
/// `CommandTable.definitions` (`CommandDefinitionTests` fails until it is); its case in
/// `Request.visitDefinition`; its handler in the server's `Service`. The compiler asks for the last two
/// (and for the command's metrics slot), since those switches are exhaustive. A new kind of reply also
/// needs its `Response` case, which `ReplyEncoder` writes.
///
/// The definitions are grouped by subsystem, one file each: `KVCommands.swift`,
/// `MaintenanceCommands.swift`, `LeaseCommands.swift`, `WatchCommands.swift`, `AuthCommands.swift`.
/// What the server does with a request (its handler) is the service's: it needs the server's state,
/// which this module, shared with the clients, does not know.
///
/// Definitions are types that are never instantiated (caseless enums); the table holds their metatypes,
/// which any thread may use (`SendableMetatype`).
protocol CommandDefinition: SendableMetatype {
    /// What the command carries: the payload of its `Request` case (`Void` for a bare command).
    associatedtype Value

    /// The command; `spec.kind` too, but read without touching the lazily built spec (it names every
    /// request's latency histogram, on the hot path).
    static var kind: CommandKind { get }

    /// The verb, the positional arguments and the options.
    static var spec: CommandSpec { get }

    /// The request `value` stands for.
    static func request(_ value: Value) -> Request

    /// Reads the request from the tokens after the verb.
    /// - Parameter maxTxnOps: the server's `--max-txn-ops` (see `TxnSyntax`).
    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request

    /// Writes the verb and arguments (no tag, no line terminator); only what `spec` allows, so the
    /// decoder reads back the same value.
    static func encode(_ value: Value, into buffer: inout ByteBuffer)

    /// What a user needs, while auth is enabled on `store`, to make the request as the holder of `token`
    /// (nil: no credentials given). Called only while auth is enabled.
    /// - Throws: etcd's auth errors (`.permissionDenied`, `.invalidAuthToken`, …).
    static func authorize(_ value: Value, on store: Store, token: String?) throws(AuthError)

    /// The size of the gRPC request message etcd's API defines for the command, as proto3 encodes it
    /// (see `Request.encodedSize`).
    static func encodedSize(_ value: Value) -> Int

    /// Reads the reply to the command (an `OK` line, parsed into its fields and items); the client side.
    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response
}

/// A command whose tokens the generic `Arguments` parser checks against its spec; it only reads its
/// value from them. Commands with their own token rules (a password that may start with `--`, a TXN
/// whose nesting is bounded as it is parsed) implement `decodeRequest` instead.
protocol SpecParsedCommand: CommandDefinition {
    /// Reads the value from arguments already checked against `spec`.
    static func decode(_ arguments: Arguments) throws(WireError) -> Value
}

extension SpecParsedCommand {
    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        request(try decode(Arguments(tokens, spec: spec)))
    }

    /// Decodes the value alone (tests, and a TXN's operations).
    static func decode(_ tokens: some Sequence<Token>) throws(WireError) -> Value {
        try decode(Arguments(tokens, spec: spec))
    }
}

/// A command without arguments or options: `PING`, `STATUS`, `LEASE-LIST`, ….
protocol BareCommandDefinition: SpecParsedCommand where Value == Void {}

extension BareCommandDefinition {
    static func decode(_ arguments: Arguments) throws(WireError) {}

    static func encode(_ value: Void, into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
    }
}

/// What the one-line authorization rules share: etcd's three levels besides key permissions.
enum Access {
    /// Needs nothing: connection-level commands and the member-level reads etcd leaves open.
    static func open(_ store: Store, _ token: String?) throws(AuthError) {}

    /// Anyone without credentials, as etcd (lease calls, listings, the auth status); a token given must
    /// still be valid.
    static func validTokenIfGiven(_ store: Store, _ token: String?) throws(AuthError) {
        try store.auth.checkToken(token)
    }

    /// The root role.
    static func root(_ store: Store, _ token: String?) throws(AuthError) {
        try store.auth.checkAdmin(token: token)
    }
}

/// Something done with a request once its command's definition is known: write it, measure it,
/// authorize it, name it. `Request.visitDefinition` calls `visit` with the definition and the value;
/// visitors are generic, so each call is specialized and costs what a switch case did. A visitor is
/// passed by value and should be cheap to copy (a writer holds a pointer to its buffer, not the buffer).
protocol CommandVisitor {
    associatedtype Result
    associatedtype Failure: Error
    func visit<Command: CommandDefinition>(_ command: Command.Type, _ value: Command.Value) throws(Failure) -> Result
}

extension Request {
    /// The one place a `Request` case is matched to its command's definition; every per-command concern
    /// (encoding, size, authorization, kind) goes through it. Inlined into each concern, so that each
    /// compiles to the switch it replaces, with the definition's code in its cases.
    @inline(__always)
    func visitDefinition<Visitor: CommandVisitor>(_ visitor: Visitor) throws(Visitor.Failure) -> Visitor.Result {
        switch self {
        case .hello(let value): try visitor.visit(HelloCommand.self, value)
        case .ping: try visitor.visit(PingCommand.self, ())
        case .range(let value): try visitor.visit(GetCommand.self, value)
        case .put(let value): try visitor.visit(PutCommand.self, value)
        case .leasedPut(let value): try visitor.visit(LeasedPutCommand.self, value)
        case .deleteRange(let value): try visitor.visit(DelCommand.self, value)
        case .txn(let value): try visitor.visit(TxnCommand.self, value)
        case .compact(let value): try visitor.visit(CompactCommand.self, value)
        case .status: try visitor.visit(StatusCommand.self, ())
        case .memberList: try visitor.visit(MembersCommand.self, ())
        case .health: try visitor.visit(HealthCommand.self, ())
        case .hashKV(let value): try visitor.visit(HashCommand.self, value)
        case .leaseGrant(let value): try visitor.visit(LeaseGrantCommand.self, value)
        case .leaseRevoke(let id): try visitor.visit(LeaseRevokeCommand.self, id)
        case .leaseKeepAlive(let id): try visitor.visit(LeaseKeepAliveCommand.self, id)
        case .leaseTimeToLive(let value): try visitor.visit(LeaseTimeToLiveCommand.self, value)
        case .leaseList: try visitor.visit(LeaseListCommand.self, ())
        case .watch(let value): try visitor.visit(WatchCommand.self, value)
        case .unwatch(let id): try visitor.visit(UnwatchCommand.self, id)
        case .progress: try visitor.visit(ProgressCommand.self, ())
        case .snapshot(let value): try visitor.visit(SnapshotCommand.self, value)
        case .snapshotNext: try visitor.visit(SnapshotNextCommand.self, ())
        case .authenticate(let value): try visitor.visit(AuthenticateCommand.self, value)
        case .auth(let auth): try auth.visitDefinition(AuthVisiting(visitor))
        case .defragment: try visitor.visit(DefragCommand.self, ())
        case .alarm(let action): try visitor.visit(AlarmCommand.self, action)
        }
    }
}

/// The command a request is an instance of.
struct CommandKindVisitor: CommandVisitor {
    typealias Result = CommandKind
    typealias Failure = Never

    func visit<Command: CommandDefinition>(_ command: Command.Type, _ value: Command.Value) -> CommandKind {
        command.kind
    }
}
