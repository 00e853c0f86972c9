import KVStore

/// Every command of the protocol, looked up by verb; the single place both the server (decoding) and
/// the clients (encoding) go through. Built from the commands' definitions (`CommandDefinition`).
public enum CommandTable {
    /// One definition per verb, in `CommandKind` order. (`PUT … --ttl` is `LeasedPutCommand`, which
    /// PUT's definition decodes; it has no verb of its own.)
    static let definitions: [any CommandDefinition.Type] = [
        HelloCommand.self, PingCommand.self, GetCommand.self, PutCommand.self, DelCommand.self, TxnCommand.self,
        CompactCommand.self, StatusCommand.self, MembersCommand.self, HealthCommand.self, HashCommand.self,
        LeaseGrantCommand.self, LeaseRevokeCommand.self, LeaseKeepAliveCommand.self, LeaseTimeToLiveCommand.self,
        LeaseListCommand.self, WatchCommand.self, UnwatchCommand.self, ProgressCommand.self,
        SnapshotCommand.self, SnapshotNextCommand.self, AuthenticateCommand.self,
        AuthEnableCommand.self, AuthDisableCommand.self, AuthStatusCommand.self,
        UserAddCommand.self, UserDeleteCommand.self, UserGetCommand.self, UserListCommand.self,
        UserPasswdCommand.self, UserGrantCommand.self, UserRevokeCommand.self,
        RoleAddCommand.self, RoleDeleteCommand.self, RoleGetCommand.self, RoleListCommand.self,
        RoleGrantCommand.self, RoleRevokeCommand.self, DefragCommand.self, AlarmCommand.self,
    ]

    /// The spec of each implemented command.
    public static let specs: [CommandSpec] = definitions.map { $0.spec }

    /// Each definition under its canonical verb and its aliases (upper-case).
    static let byVerb: [String: any CommandDefinition.Type] = {
        var table: [String: any CommandDefinition.Type] = [:]
        for definition in definitions {
            for verb in [definition.spec.name] + definition.spec.aliases {
                precondition(table.updateValue(definition, forKey: verb) == nil, "verb \(verb) defined twice")
            }
        }
        return table
    }()

    /// Each definition under its command kind.
    static let byKind: [CommandKind: any CommandDefinition.Type] = Dictionary(
        uniqueKeysWithValues: definitions.map { ($0.spec.kind, $0) })

    /// The auth management definitions under their command kind (their replies carry what they read).
    static let authByKind: [CommandKind: any AuthCommandDefinition.Type] = Dictionary(
        uniqueKeysWithValues: definitions.compactMap { $0 as? any AuthCommandDefinition.Type }.map { ($0.spec.kind, $0) })

    /// The definition of `kind`'s command (every kind has one: `CommandDefinitionTests`).
    static func definition(for kind: CommandKind) -> any CommandDefinition.Type {
        guard let definition = byKind[kind] else { preconditionFailure("no definition for \(kind.verb)") }
        return definition
    }

    /// Verbs reserved for a later protocol slice (snapshots, maintenance); they answer
    /// `NOT_IMPLEMENTED` rather than `UNKNOWN_COMMAND`.
    public static let plannedVerbs: [String] = []

    public static func spec(for kind: CommandKind) -> CommandSpec {
        definition(for: kind).spec
    }

    /// The command a verb names (case-insensitive, aliases included).
    public static func lookup(_ verb: some Collection<UInt8>) -> CommandKind? {
        definition(verb)?.spec.kind
    }

    /// The definition of the command a verb names (case-insensitive, aliases included).
    static func definition(_ verb: some Collection<UInt8>) -> (any CommandDefinition.Type)? {
        guard verb.count <= 16 else { return nil }
        return byVerb[String(decoding: verb.map(asciiUppercased), as: UTF8.self)]
    }

    /// Decodes the arguments of the command `verb` names. `maxTxnOps` bounds the nesting of a `TXN`
    /// (see `TxnSyntax`).
    static func decode(verb: Token, arguments: ArraySlice<Token>, maxTxnOps: Int = .max) throws(WireError) -> Request {
        guard !verb.isQuoted, let definition = definition(verb.bytes) else {
            if !verb.isQuoted && plannedVerbs.contains(verb.upperText) {
                throw WireError.notImplemented("command '\(verb.upperText)' is planned but not available in protocol \(ProtocolVersion.current)")
            }
            throw WireError.unknownCommand(verb: verb)
        }
        return try definition.decodeRequest(arguments, maxTxnOps: maxTxnOps)
    }

    /// Writes the verb and arguments of `request` (no tag, no terminator).
    static func encode(_ request: Request, into buffer: inout ByteBuffer) {
        withUnsafeMutablePointer(to: &buffer) { request.visitDefinition(RequestWriter(buffer: $0)) }
    }
}

/// Writes a request's verb and arguments with its definition.
private struct RequestWriter: CommandVisitor {
    typealias Result = Void
    typealias Failure = Never
    let buffer: UnsafeMutablePointer<ByteBuffer>

    func visit<Command: CommandDefinition>(_ command: Command.Type, _ value: Command.Value) {
        command.encode(value, into: &buffer.pointee)
    }
}
