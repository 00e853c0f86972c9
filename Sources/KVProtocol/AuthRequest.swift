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
