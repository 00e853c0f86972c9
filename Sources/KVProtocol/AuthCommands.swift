import KVStore

/// `AUTHENTICATE <name> <password>`: logs the connection in; every later request on it runs as that
/// user until the token expires (it is renewed by use) or the connection closes.
public struct AuthenticateRequest: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }

    /// Never shows the password.
    public var description: String { "AuthenticateRequest(name: \(name))" }
}

/// etcd's auth management requests (`user`, `role`, `auth` commands). Root only while auth is enabled,
/// except reading one's own user record or a role one holds.
public enum AuthRequest: Hashable, Sendable, CustomStringConvertible {
    case enable
    case disable
    case status
    /// A nil password makes a user that cannot log in with one (`--no-password`).
    case userAdd(name: String, password: String?)
    case userDelete(String)
    case userGet(String)
    case userList
    case userChangePassword(name: String, password: String)
    case userGrantRole(user: String, role: String)
    case userRevokeRole(user: String, role: String)
    case roleAdd(String)
    case roleDelete(String)
    case roleGet(String)
    case roleList
    case roleGrantPermission(role: String, permission: Permission)
    case roleRevokePermission(role: String, key: [UInt8], rangeEnd: [UInt8])

    /// The command this request is an instance of.
    public var kind: CommandKind { visitDefinition(AuthVisiting(CommandKindVisitor())) }

    /// The verb and its names, for logs; never a password.
    public var description: String { visitDefinition(AuthDescription()) }

    /// Whether the request changes users, roles or the auth switch (and so is logged).
    public var isChange: Bool { visitDefinition(AuthChangeVisitor()) }

    /// Runs the request on `auth` (already authorized); the reply carries `header`.
    public func apply(to auth: AuthStore, header: ResponseHeader) throws(AuthError) -> AuthResponse {
        try visitDefinition(AuthApplication(auth: auth, header: header))
    }

    /// The one place an `AuthRequest` case is matched to its command's definition (see
    /// `Request.visitDefinition`).
    func visitDefinition<Visitor: AuthCommandVisitor>(_ visitor: Visitor) throws(Visitor.Failure) -> Visitor.Result {
        switch self {
        case .enable: try visitor.visit(AuthEnableCommand.self, ())
        case .disable: try visitor.visit(AuthDisableCommand.self, ())
        case .status: try visitor.visit(AuthStatusCommand.self, ())
        case .userAdd(let name, let password): try visitor.visit(UserAddCommand.self, (name, password))
        case .userDelete(let name): try visitor.visit(UserDeleteCommand.self, name)
        case .userGet(let name): try visitor.visit(UserGetCommand.self, name)
        case .userList: try visitor.visit(UserListCommand.self, ())
        case .userChangePassword(let name, let password): try visitor.visit(UserPasswdCommand.self, (name, password))
        case .userGrantRole(let user, let role): try visitor.visit(UserGrantCommand.self, (user, role))
        case .userRevokeRole(let user, let role): try visitor.visit(UserRevokeCommand.self, (user, role))
        case .roleAdd(let name): try visitor.visit(RoleAddCommand.self, name)
        case .roleDelete(let name): try visitor.visit(RoleDeleteCommand.self, name)
        case .roleGet(let name): try visitor.visit(RoleGetCommand.self, name)
        case .roleList: try visitor.visit(RoleListCommand.self, ())
        case .roleGrantPermission(let role, let permission): try visitor.visit(RoleGrantCommand.self, (role, permission))
        case .roleRevokePermission(let role, let key, let rangeEnd):
            try visitor.visit(RoleRevokeCommand.self, (role, key, rangeEnd))
        }
    }
}

/// The reply to `AUTHENTICATE` and every auth management command: the header, and what the command
/// reads (the other fields stay empty).
public struct AuthResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// `AUTH-STATUS`.
    public var enabled: Bool
    /// `AUTH-STATUS`: etcd's auth revision.
    public var authRevision: UInt64
    /// `USER-LIST`: sorted.
    public var users: [String]
    /// `USER-GET` (the user's roles) and `ROLE-LIST`: sorted.
    public var roles: [String]
    /// `ROLE-GET`: sorted by key.
    public var permissions: [Permission]

    public init(header: ResponseHeader, enabled: Bool = false, authRevision: UInt64 = 0, users: [String] = [],
                roles: [String] = [], permissions: [Permission] = []) {
        self.header = header
        self.enabled = enabled
        self.authRevision = authRevision
        self.users = users
        self.roles = roles
        self.permissions = permissions
    }
}

/// The permission types as the protocol spells them, by `Permission.Kind` raw value.
let permissionTypeWords = ["read", "write", "readwrite"]

/// `AUTHENTICATE <name> <password>`. Both tokens are taken as they are (a password may start with `--`),
/// and the only error, a wrong count, never repeats what was sent. Front ends run the login themselves
/// (the password check is off the loop); the service never sees it.
enum AuthenticateCommand: CommandDefinition {
    static var kind: CommandKind { .authenticate }
    static let spec = CommandSpec(kind, arguments: ["name", "password"])

    static func request(_ value: AuthenticateRequest) -> Request { .authenticate(value) }

    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        guard tokens.count == 2 else { throw WireError.arity(spec.name, expected: "2", got: tokens.count) }
        return .authenticate(AuthenticateRequest(
            name: try tokens[tokens.startIndex].utf8Text(spec.name, "<name>"),
            password: try tokens[tokens.startIndex + 1].utf8Text(spec.name, "<password>")))
    }

    static func encode(_ value: AuthenticateRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("AUTHENTICATE ")
        buffer.writeQuoted(Array(value.name.utf8))
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeQuoted(Array(value.password.utf8))
    }

    /// Logging in is how a user gets a token.
    static func authorize(_ value: AuthenticateRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    static func encodedSize(_ value: AuthenticateRequest) -> Int {
        Protobuf.text(1, value.name) + Protobuf.text(2, value.password)
    }

    /// The token stays with the client's connection; the reply is the header.
    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .auth(spec.kind, AuthResponse(header: try ReplyDecoder.header(fields)))
    }
}

// MARK: - Auth management
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
    fileprivate mutating func writeNames(_ field: StaticString, _ keyword: StaticString, _ names: [String]) {
        writeField(field, Int64(names.count))
        for name in names {
            writeASCII(keyword)
            writeToken(name)
        }
    }
}

extension ReplyDecoder.ItemCursor {
    fileprivate mutating func names(_ keyword: String, count: Int64?) throws(WireError) -> [String] {
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
private func quoted(_ text: String) -> String { String(reflecting: text) }
private func quoted(_ bytes: [UInt8]) -> String { quoted(String(decoding: bytes, as: UTF8.self)) }

extension ByteBuffer {
    /// ` "<text>"`: names and passwords are always quoted, whatever they spell.
    fileprivate mutating func writeWord(_ text: String) {
        writeByte(UInt8(ascii: " "))
        writeQuoted(Array(text.utf8))
    }

    fileprivate mutating func writeWord(_ bytes: [UInt8]) {
        writeByte(UInt8(ascii: " "))
        writeQuoted(bytes)
    }
}

extension Arguments {
    /// The positional argument at `index` as text.
    fileprivate func text(_ index: Int) throws(WireError) -> String {
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
    static func decode(_ arguments: Arguments) throws(WireError) -> String { try arguments.text(0) }

    static func encode(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value)
    }

    static func describe(_ value: String) -> String { "\(spec.name) \(quoted(value))" }
    static func encodedSize(_ value: String) -> Int { Protobuf.text(1, value) }
}

/// `USER-GRANT <name> <role>` and `USER-REVOKE <name> <role>`.
protocol UserRoleCommand: AuthCommandDefinition, SpecParsedCommand where Value == (user: String, role: String) {}

extension UserRoleCommand {
    static func decode(_ arguments: Arguments) throws(WireError) -> (user: String, role: String) {
        (try arguments.text(0), try arguments.text(1))
    }

    static func encode(_ value: (user: String, role: String), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.user)
        buffer.writeWord(value.role)
    }

    static func describe(_ value: (user: String, role: String)) -> String {
        "\(spec.name) \(quoted(value.user)) \(quoted(value.role))"
    }

    static func encodedSize(_ value: (user: String, role: String)) -> Int {
        Protobuf.text(1, value.user) + Protobuf.text(2, value.role)
    }

    static func authorize(_ value: (user: String, role: String), on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static var isChange: Bool { true }
}

/// `AUTH-ENABLE`
enum AuthEnableCommand: BareAuthCommand {
    static var kind: CommandKind { .authEnable }
    static let spec = CommandSpec(kind)
    static func request(_ value: Void) -> Request { .auth(.enable) }
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: Void, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { try auth.enable() }
    static var isChange: Bool { true }
}

/// `AUTH-DISABLE`
enum AuthDisableCommand: BareAuthCommand {
    static var kind: CommandKind { .authDisable }
    static let spec = CommandSpec(kind)
    static func request(_ value: Void) -> Request { .auth(.disable) }
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: Void, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { auth.disable() }
    static var isChange: Bool { true }
}

/// `AUTH-STATUS`: open to any user.
enum AuthStatusCommand: BareAuthCommand {
    static var kind: CommandKind { .authStatus }
    static let spec = CommandSpec(kind)
    static func request(_ value: Void) -> Request { .auth(.status) }
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) { try Access.validTokenIfGiven(store, token) }

    static func apply(_ value: Void, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) {
        response.enabled = auth.isEnabled
        response.authRevision = auth.revision
    }

    static var isChange: Bool { false }

    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("enabled", response.enabled)
        buffer.writeField("auth_rev", unsigned: response.authRevision)
    }

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {
        response.enabled = try fields.bool("enabled") ?? false
        response.authRevision = try fields.uint64("auth_rev") ?? 0
    }
}

/// `USER-ADD <name> [<password>] [--no-password]`: a nil password makes a user that cannot log in with
/// one. Only `--no-password` is an option; any other token is the name or the password, even one that
/// starts with `--`, and errors never repeat them.
enum UserAddCommand: AuthCommandDefinition {
    static var kind: CommandKind { .userAdd }
    static let spec = CommandSpec(kind, arguments: ["name", "password"], required: 1,
                                  options: [OptionSpec("no-password")])

    static func request(_ value: (name: String, password: String?)) -> Request {
        .auth(.userAdd(name: value.name, password: value.password))
    }

    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        var positional: [Token] = []
        var noPassword = false
        for token in tokens {
            if token.isOption && token.bytes.map(asciiLowercased) == Array("--no-password".utf8) {
                noPassword = true
            } else {
                positional.append(token)
            }
        }
        let verb = spec.name
        guard positional.count >= spec.requiredArguments, positional.count <= spec.maximumArguments else {
            throw WireError.arity(verb, expected: spec.arityText, got: positional.count)
        }
        if noPassword {
            guard positional.count == 1 else { throw WireError.args(verb, "--no-password cannot be combined with <password>") }
            return request((try positional[0].utf8Text(verb, "<name>"), nil))
        }
        guard positional.count == 2 else { throw WireError.args(verb, "a password or --no-password is required") }
        return request((try positional[0].utf8Text(verb, "<name>"), try positional[1].utf8Text(verb, "<password>")))
    }

    static func encode(_ value: (name: String, password: String?), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.name)
        if let password = value.password { buffer.writeWord(password) } else { buffer.writeFlag("no-password") }
    }

    static func authorize(_ value: (name: String, password: String?), on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    /// `AuthUserAddRequest{name, password, options: UserAddOptions{no_password}}`.
    static func encodedSize(_ value: (name: String, password: String?)) -> Int {
        guard let password = value.password else {
            return Protobuf.text(1, value.name) + Protobuf.delimited(3, Protobuf.bool(1, true))
        }
        return Protobuf.text(1, value.name) + Protobuf.text(2, password)
    }

    static func apply(_ value: (name: String, password: String?), to auth: AuthStore,
                      response: inout AuthResponse) throws(AuthError) {
        try auth.addUser(value.name, password: value.password)
    }

    static var isChange: Bool { true }

    static func describe(_ value: (name: String, password: String?)) -> String {
        "\(spec.name) \(quoted(value.name)) (\(value.password == nil ? "no password" : "with a password"))"
    }
}

/// `USER-DELETE <name>`
enum UserDeleteCommand: NamedAuthCommand {
    static var kind: CommandKind { .userDelete }
    static let spec = CommandSpec(kind, arguments: ["name"])
    static func request(_ value: String) -> Request { .auth(.userDelete(value)) }
    static func authorize(_ value: String, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: String, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { try auth.deleteUser(value) }
    static var isChange: Bool { true }
}

/// `USER-GET <name>`: root, or the user themselves.
enum UserGetCommand: NamedAuthCommand {
    static var kind: CommandKind { .userGet }
    static let spec = CommandSpec(kind, arguments: ["name"])
    static func request(_ value: String) -> Request { .auth(.userGet(value)) }

    static func authorize(_ value: String, on store: Store, token: String?) throws(AuthError) {
        try store.auth.checkUserGet(value, token: token)
    }

    static func apply(_ value: String, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) {
        response.roles = try auth.user(value).roles
    }

    static var isChange: Bool { false }

    /// The roles, sorted.
    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {
        buffer.writeNames("roles", " ROLE ", response.roles)
    }

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {
        response.roles = try items.names("ROLE", count: try fields.int64("roles") ?? 0)
    }
}

/// `USER-LIST`
enum UserListCommand: BareAuthCommand {
    static var kind: CommandKind { .userList }
    static let spec = CommandSpec(kind)
    static func request(_ value: Void) -> Request { .auth(.userList) }
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: Void, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { response.users = auth.userNames() }
    static var isChange: Bool { false }

    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {
        buffer.writeNames("users", " USER ", response.users)
    }

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {
        response.users = try items.names("USER", count: try fields.int64("users") ?? 0)
    }
}

/// `USER-PASSWD <name> <password>`: both tokens are taken as they are (a password may start with
/// `--`), and errors never repeat them.
enum UserPasswdCommand: AuthCommandDefinition {
    static var kind: CommandKind { .userPasswd }
    static let spec = CommandSpec(kind, arguments: ["name", "password"])

    static func request(_ value: (name: String, password: String)) -> Request {
        .auth(.userChangePassword(name: value.name, password: value.password))
    }

    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        let verb = spec.name
        guard tokens.count == 2 else { throw WireError.arity(verb, expected: spec.arityText, got: tokens.count) }
        return request((try tokens[tokens.startIndex].utf8Text(verb, "<name>"),
                        try tokens[tokens.startIndex + 1].utf8Text(verb, "<password>")))
    }

    static func encode(_ value: (name: String, password: String), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.name)
        buffer.writeWord(value.password)
    }

    static func authorize(_ value: (name: String, password: String), on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: (name: String, password: String)) -> Int {
        Protobuf.text(1, value.name) + Protobuf.text(2, value.password)
    }

    static func apply(_ value: (name: String, password: String), to auth: AuthStore,
                      response: inout AuthResponse) throws(AuthError) {
        try auth.changePassword(value.name, to: value.password)
    }

    static var isChange: Bool { true }

    static func describe(_ value: (name: String, password: String)) -> String { "\(spec.name) \(quoted(value.name))" }
}

/// `USER-GRANT <name> <role>`
enum UserGrantCommand: UserRoleCommand {
    static var kind: CommandKind { .userGrant }
    static let spec = CommandSpec(kind, arguments: ["name", "role"])
    static func request(_ value: (user: String, role: String)) -> Request { .auth(.userGrantRole(user: value.user, role: value.role)) }

    static func apply(_ value: (user: String, role: String), to auth: AuthStore, response: inout AuthResponse) throws(AuthError) {
        try auth.grantRole(value.role, to: value.user)
    }
}

/// `USER-REVOKE <name> <role>`
enum UserRevokeCommand: UserRoleCommand {
    static var kind: CommandKind { .userRevoke }
    static let spec = CommandSpec(kind, arguments: ["name", "role"])
    static func request(_ value: (user: String, role: String)) -> Request { .auth(.userRevokeRole(user: value.user, role: value.role)) }

    static func apply(_ value: (user: String, role: String), to auth: AuthStore, response: inout AuthResponse) throws(AuthError) {
        try auth.revokeRole(value.role, from: value.user)
    }
}

/// `ROLE-ADD <name>`
enum RoleAddCommand: NamedAuthCommand {
    static var kind: CommandKind { .roleAdd }
    static let spec = CommandSpec(kind, arguments: ["name"])
    static func request(_ value: String) -> Request { .auth(.roleAdd(value)) }
    static func authorize(_ value: String, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: String, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { try auth.addRole(value) }
    static var isChange: Bool { true }
}

/// `ROLE-DELETE <name>`
enum RoleDeleteCommand: NamedAuthCommand {
    static var kind: CommandKind { .roleDelete }
    static let spec = CommandSpec(kind, arguments: ["name"])
    static func request(_ value: String) -> Request { .auth(.roleDelete(value)) }
    static func authorize(_ value: String, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: String, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { try auth.deleteRole(value) }
    static var isChange: Bool { true }
}

/// `ROLE-GET <name>`: root, or a user holding the role.
enum RoleGetCommand: NamedAuthCommand {
    static var kind: CommandKind { .roleGet }
    static let spec = CommandSpec(kind, arguments: ["name"])
    static func request(_ value: String) -> Request { .auth(.roleGet(value)) }

    static func authorize(_ value: String, on store: Store, token: String?) throws(AuthError) {
        try store.auth.checkRoleGet(value, token: token)
    }

    static func apply(_ value: String, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) {
        response.permissions = try auth.role(value).permissions
    }

    static var isChange: Bool { false }

    /// ` perms=N PERM <type> <key> <range_end>…`
    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("perms", Int64(response.permissions.count))
        for permission in response.permissions {
            buffer.writeASCII(" PERM ")
            buffer.writeString(permissionTypeWords[permission.kind.rawValue])
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeQuoted(permission.key)
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeQuoted(permission.rangeEnd)
        }
    }

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {
        for item in try items.next("PERM", count: try fields.int64("perms") ?? 0) {
            let type = String(decoding: item.arguments[0], as: UTF8.self)
            guard let index = permissionTypeWords.firstIndex(of: type), let kind = Permission.Kind(rawValue: index) else {
                throw WireError.protocolViolation("malformed reply: bad PERM type \(type)")
            }
            response.permissions.append(Permission(kind: kind, key: item.arguments[1], rangeEnd: item.arguments[2]))
        }
    }
}

/// `ROLE-LIST`
enum RoleListCommand: BareAuthCommand {
    static var kind: CommandKind { .roleList }
    static let spec = CommandSpec(kind)
    static func request(_ value: Void) -> Request { .auth(.roleList) }
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) { try Access.root(store, token) }
    static func apply(_ value: Void, to auth: AuthStore, response: inout AuthResponse) throws(AuthError) { response.roles = auth.roleNames() }
    static var isChange: Bool { false }

    /// The roles, sorted.
    static func writeReplyBody(_ response: AuthResponse, into buffer: inout ByteBuffer) {
        buffer.writeNames("roles", " ROLE ", response.roles)
    }

    static func readReplyBody(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor,
                              into response: inout AuthResponse) throws(WireError) {
        response.roles = try items.names("ROLE", count: try fields.int64("roles") ?? 0)
    }
}

/// `<key> [<range_end>] [--prefix|--from-key]` with etcdctl's meaning for a permission: `--prefix`
/// on an empty key is every key (`\0`, `\0`).
private func permissionRange(_ arguments: Arguments, keyIndex: Int) throws(WireError) -> (key: [UInt8], rangeEnd: [UInt8]) {
    let key = arguments.positional[keyIndex].bytes
    let explicitEnd = arguments.positional.count > keyIndex + 1 ? arguments.positional[keyIndex + 1].bytes : nil
    let prefix = arguments.flag("prefix"), fromKey = arguments.flag("from-key")
    if prefix && fromKey { throw WireError.args(arguments.context, "--prefix and --from-key cannot be combined") }
    if let explicitEnd {
        if prefix || fromKey {
            throw WireError.args(arguments.context, "\(prefix ? "--prefix" : "--from-key") cannot be combined with <range_end>")
        }
        return (key, explicitEnd)
    }
    if prefix { return key.isEmpty ? ([0], [0]) : (key, KeyRange.prefixRangeEnd(key)) }
    if fromKey { return (key.isEmpty ? [0] : key, [0]) }
    return (key, [])
}

/// `ROLE-GRANT <role> <read|write|readwrite> <key> [<range_end>] [--prefix|--from-key]`
enum RoleGrantCommand: AuthCommandDefinition, SpecParsedCommand {
    static var kind: CommandKind { .roleGrant }
    static let spec = CommandSpec(kind, arguments: ["role", "type", "key", "range_end"], required: 3,
                                  options: [OptionSpec("prefix"), OptionSpec("from-key")])

    static func request(_ value: (role: String, permission: Permission)) -> Request {
        .auth(.roleGrantPermission(role: value.role, permission: value.permission))
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> (role: String, permission: Permission) {
        let typeText = String(decoding: arguments.positional[1].bytes.map(asciiLowercased), as: UTF8.self)
        guard let index = permissionTypeWords.firstIndex(of: typeText), let type = Permission.Kind(rawValue: index) else {
            throw WireError.args(arguments.context, "invalid permission type \(arguments.positional[1].description) (read, write or readwrite)")
        }
        let range = try permissionRange(arguments, keyIndex: 2)
        return (try arguments.text(0), Permission(kind: type, key: range.key, rangeEnd: range.rangeEnd))
    }

    static func encode(_ value: (role: String, permission: Permission), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.role)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeString(permissionTypeWords[value.permission.kind.rawValue])
        buffer.writeWord(value.permission.key)
        if !value.permission.rangeEnd.isEmpty { buffer.writeWord(value.permission.rangeEnd) }
    }

    static func authorize(_ value: (role: String, permission: Permission), on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    /// `AuthRoleGrantPermissionRequest{name, perm: Permission{permType, key, range_end}}`.
    static func encodedSize(_ value: (role: String, permission: Permission)) -> Int {
        let permission = value.permission
        let perm = Protobuf.enumeration(1, permission.kind.rawValue) + Protobuf.bytes(2, permission.key)
            + Protobuf.bytes(3, permission.rangeEnd)
        return Protobuf.text(1, value.role) + Protobuf.delimited(2, perm)
    }

    static func apply(_ value: (role: String, permission: Permission), to auth: AuthStore,
                      response: inout AuthResponse) throws(AuthError) {
        try auth.grantPermission(value.permission, to: value.role)
    }

    static var isChange: Bool { true }

    static func describe(_ value: (role: String, permission: Permission)) -> String {
        "\(spec.name) \(quoted(value.role)) \(permissionTypeWords[value.permission.kind.rawValue])"
            + " \(quoted(value.permission.key)) \(quoted(value.permission.rangeEnd))"
    }
}

/// `ROLE-REVOKE <role> <key> [<range_end>] [--prefix|--from-key]`
enum RoleRevokeCommand: AuthCommandDefinition, SpecParsedCommand {
    static var kind: CommandKind { .roleRevoke }
    static let spec = CommandSpec(kind, arguments: ["role", "key", "range_end"], required: 2,
                                  options: [OptionSpec("prefix"), OptionSpec("from-key")])

    static func request(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8])) -> Request {
        .auth(.roleRevokePermission(role: value.role, key: value.key, rangeEnd: value.rangeEnd))
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> (role: String, key: [UInt8], rangeEnd: [UInt8]) {
        let range = try permissionRange(arguments, keyIndex: 1)
        return (try arguments.text(0), range.key, range.rangeEnd)
    }

    static func encode(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8]), into buffer: inout ByteBuffer) {
        buffer.writeString(spec.name)
        buffer.writeWord(value.role)
        buffer.writeWord(value.key)
        if !value.rangeEnd.isEmpty { buffer.writeWord(value.rangeEnd) }
    }

    static func authorize(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8]), on store: Store,
                          token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8])) -> Int {
        Protobuf.text(1, value.role) + Protobuf.bytes(2, value.key) + Protobuf.bytes(3, value.rangeEnd)
    }

    static func apply(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8]), to auth: AuthStore,
                      response: inout AuthResponse) throws(AuthError) {
        try auth.revokePermission(key: value.key, rangeEnd: value.rangeEnd, from: value.role)
    }

    static var isChange: Bool { true }

    static func describe(_ value: (role: String, key: [UInt8], rangeEnd: [UInt8])) -> String {
        "\(spec.name) \(quoted(value.role)) \(quoted(value.key)) \(quoted(value.rangeEnd))"
    }
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

// MARK: Replies

extension ReplyEncoder {
    /// `OK <header> [enabled=0|1 auth_rev=N] [users=N USER <name>…] [roles=N ROLE <name>…]
    /// [perms=N PERM <type> <key> <range_end>…]` — the parts the command reads (its definition's
    /// `writeReplyBody`).
    public static func encode(_ value: AuthResponse, kind: CommandKind, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        CommandTable.authByKind[kind]?.writeReplyBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }
}
