import KVStore

// The auth management commands, one verb each:
//
//     AUTH-ENABLE | AUTH-DISABLE | AUTH-STATUS
//     USER-ADD <name> [<password>] [--no-password] | USER-DELETE <name> | USER-GET <name> | USER-LIST
//     USER-PASSWD <name> <password> | USER-GRANT <name> <role> | USER-REVOKE <name> <role>
//     ROLE-ADD <name> | ROLE-DELETE <name> | ROLE-GET <name> | ROLE-LIST
//     ROLE-GRANT <role> <read|write|readwrite> <key> [<range_end>] [--prefix|--from-key]
//     ROLE-REVOKE <role> <key> [<range_end>] [--prefix|--from-key]
//
// Root only while auth is enabled, except AUTH-STATUS (any user) and reading one's own user record or a
// role one holds.

/// An auth management command: besides what every command defines, how it runs on the auth store,
/// whether it changes anything (changes are logged) and how a log line names it.
protocol AuthCommandDefinition: CommandDefinition {
    /// Runs the request on `auth` (already authorized), filling in what the command reads.
    static func apply(_ value: Value, to auth: AuthStore, response: inout AuthResponse) throws(AuthError)
    /// Whether it changes users, roles or the auth switch.
    static var isChange: Bool { get }
    /// The verb and the names it carries, for logs; never a password.
    static func describe(_ value: Value) -> String
    /// Writes what the command reads into its reply line, after the header (nothing by default).
    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer)
    /// Reads what `writeReplyBody` wrote.
    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError)
}

extension AuthCommandDefinition {
    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {}

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {}

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        var response = AuthResponse(header: try ReplyDecoder.header(fields))
        try readReplyBody(fields, &items, into: &response)
        return .auth(spec.kind, response)
    }
}

extension ByteBuffer {
    /// ` users=N USER <name>…`, ` roles=N ROLE <name>…`: a counted list of names.
    mutating func writeNames(_ field: StaticString, _ keyword: StaticString, _ names: [String]) {
        writeField(field, Int64(names.count))
        for name in names {
            writeASCII(keyword)
            writeToken(name)
        }
    }
}

extension ReplyDecoder.ItemCursor {
    mutating func names(_ keyword: String, count: Int64?) throws(WireError) -> [String] {
        try next(keyword, count: count).map { String(decoding: $0.arguments[0], as: UTF8.self) }
    }
}

/// Something done with an auth management request once its definition is known.
protocol AuthCommandVisitor {
    associatedtype Result
    associatedtype Failure: Error
    func visit<Command: AuthCommandDefinition>(_ command: Command.Type, _ value: Command.Value) throws(Failure) -> Result
}

/// Any `CommandVisitor` visiting an auth management request.
struct AuthVisiting<Base: CommandVisitor>: AuthCommandVisitor {
    typealias Result = Base.Result
    typealias Failure = Base.Failure
    let base: Base

    init(_ base: Base) { self.base = base }

    func visit<Command: AuthCommandDefinition>(_ command: Command.Type, _ value: Command.Value) throws(Base.Failure) -> Base.Result {
        try base.visit(command, value)
    }
}

struct AuthDescription: AuthCommandVisitor {
    typealias Result = String
    typealias Failure = Never

    func visit<Command: AuthCommandDefinition>(_ command: Command.Type, _ value: Command.Value) -> String {
        command.describe(value)
    }
}

struct AuthChangeVisitor: AuthCommandVisitor {
    typealias Result = Bool
    typealias Failure = Never

    func visit<Command: AuthCommandDefinition>(_ command: Command.Type, _ value: Command.Value) -> Bool {
        command.isChange
    }
}

struct AuthApplication: AuthCommandVisitor {
    typealias Result = AuthResponse
    typealias Failure = AuthError
    let auth: AuthStore
    let header: ResponseHeader

    func visit<Command: AuthCommandDefinition>(_ command: Command.Type, _ value: Command.Value) throws(AuthError) -> AuthResponse {
        var response = AuthResponse(header: header)
        try command.apply(value, to: auth, response: &response)
        return response
    }
}

/// A name as a log line shows it: quoted, escapes included.
func quotedForLog(_ text: String) -> String { String(reflecting: text) }
func quotedForLog(_ bytes: [UInt8]) -> String { quotedForLog(String(decoding: bytes, as: UTF8.self)) }

extension ByteBuffer {
    /// ` "<text>"`: names and passwords are always quoted, whatever they spell.
    mutating func writeWord(_ text: String) {
        writeByte(UInt8(ascii: " "))
        writeQuoted(Array(text.utf8))
    }

    mutating func writeWord(_ bytes: [UInt8]) {
        writeByte(UInt8(ascii: " "))
        writeQuoted(bytes)
    }
}

extension Arguments {
    /// The positional argument at `index` as text.
    func positionalText(_ index: Int) throws(WireError) -> String {
        try positional[index].utf8Text(spec.name, "<\(spec.arguments[index])>")
    }
}

/// An auth management command without arguments.
protocol BareAuthCommand: AuthCommandDefinition, BareCommandDefinition {}

extension BareAuthCommand {
    static func describe(_ value: Void) -> String { spec.name }
    static func encodedSize(_ value: Void) -> Int { 0 }
}

/// An auth management command taking one user or role name.
protocol NamedAuthCommand: AuthCommandDefinition, SpecParsedCommand where Value == String {}

extension NamedAuthCommand {
    static func decode(_ arguments: Arguments) throws(WireError) -> String { try arguments.positionalText(0) }

    static func encode(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value)
    }

    static func describe(_ value: String) -> String { "\(spec.name) \(quotedForLog(value))" }
    static func encodedSize(_ value: String) -> Int { Protobuf.text(1, value) }
}

/// `USER-GRANT <name> <role>` and `USER-REVOKE <name> <role>`.
protocol UserRoleCommand: AuthCommandDefinition, SpecParsedCommand where Value == (user: String, role: String) {}

extension UserRoleCommand {
    static func decode(_ arguments: Arguments) throws(WireError) -> (user: String, role: String) {
        (try arguments.positionalText(0), try arguments.positionalText(1))
    }

    static func encode(_ value: (user: String, role: String), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.user)
        buffer.writeWord(value.role)
    }

    static func describe(_ value: (user: String, role: String)) -> String {
        "\(spec.name) \(quotedForLog(value.user)) \(quotedForLog(value.role))"
    }

    static func encodedSize(_ value: (user: String, role: String)) -> Int {
        Protobuf.text(1, value.user) + Protobuf.text(2, value.role)
    }

    static func authorize(_ value: (user: String, role: String), on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static var isChange: Bool { true }
}
