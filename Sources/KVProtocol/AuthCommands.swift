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

    public var kind: CommandKind {
        switch self {
        case .enable: .authEnable
        case .disable: .authDisable
        case .status: .authStatus
        case .userAdd: .userAdd
        case .userDelete: .userDelete
        case .userGet: .userGet
        case .userList: .userList
        case .userChangePassword: .userPasswd
        case .userGrantRole: .userGrant
        case .userRevokeRole: .userRevoke
        case .roleAdd: .roleAdd
        case .roleDelete: .roleDelete
        case .roleGet: .roleGet
        case .roleList: .roleList
        case .roleGrantPermission: .roleGrant
        case .roleRevokePermission: .roleRevoke
        }
    }

    /// The verb and its names, for logs; never a password.
    public var description: String {
        func quoted(_ text: String) -> String { String(reflecting: text) }
        switch self {
        case .enable, .disable, .status, .userList, .roleList: return kind.verb
        case .userAdd(let name, let password):
            return "\(kind.verb) \(quoted(name)) (\(password == nil ? "no password" : "with a password"))"
        case .userChangePassword(let name, _), .userDelete(let name), .userGet(let name), .roleAdd(let name),
             .roleDelete(let name), .roleGet(let name):
            return "\(kind.verb) \(quoted(name))"
        case .userGrantRole(let user, let role), .userRevokeRole(let user, let role):
            return "\(kind.verb) \(quoted(user)) \(quoted(role))"
        case .roleGrantPermission(let role, let permission):
            return "\(kind.verb) \(quoted(role)) \(AuthManagementCommand.permissionTypes[permission.kind.rawValue])"
                + " \(quoted(String(decoding: permission.key, as: UTF8.self))) \(quoted(String(decoding: permission.rangeEnd, as: UTF8.self)))"
        case .roleRevokePermission(let role, let key, let rangeEnd):
            return "\(kind.verb) \(quoted(role)) \(quoted(String(decoding: key, as: UTF8.self))) \(quoted(String(decoding: rangeEnd, as: UTF8.self)))"
        }
    }

    /// Whether the request changes users, roles or the auth switch (and so is logged).
    public var isChange: Bool {
        switch self {
        case .status, .userGet, .userList, .roleGet, .roleList: false
        default: true
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

/// `AUTHENTICATE <name> <password>`. Both tokens are taken as they are (a password may start with `--`),
/// and the only error, a wrong count, never repeats what was sent.
enum AuthenticateCommand {
    static let spec = CommandSpec(.authenticate, arguments: ["name", "password"])

    static func encode(_ value: AuthenticateRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("AUTHENTICATE ")
        buffer.writeQuoted(Array(value.name.utf8))
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeQuoted(Array(value.password.utf8))
    }

    static func decode(_ tokens: ArraySlice<Token>) throws(WireError) -> AuthenticateRequest {
        guard tokens.count == 2 else { throw WireError.arity(spec.name, expected: "2", got: tokens.count) }
        return AuthenticateRequest(name: try tokens[tokens.startIndex].utf8Text(spec.name, "<name>"),
                                   password: try tokens[tokens.startIndex + 1].utf8Text(spec.name, "<password>"))
    }
}

/// The auth management commands, one verb each:
///
///     AUTH-ENABLE | AUTH-DISABLE | AUTH-STATUS
///     USER-ADD <name> [<password>] [--no-password] | USER-DELETE <name> | USER-GET <name> | USER-LIST
///     USER-PASSWD <name> <password> | USER-GRANT <name> <role> | USER-REVOKE <name> <role>
///     ROLE-ADD <name> | ROLE-DELETE <name> | ROLE-GET <name> | ROLE-LIST
///     ROLE-GRANT <role> <read|write|readwrite> <key> [<range_end>] [--prefix|--from-key]
///     ROLE-REVOKE <role> <key> [<range_end>] [--prefix|--from-key]
enum AuthManagementCommand {
    static let specs: [CommandSpec] = [
        CommandSpec(.authEnable), CommandSpec(.authDisable), CommandSpec(.authStatus),
        CommandSpec(.userAdd, arguments: ["name", "password"], required: 1, options: [OptionSpec("no-password")]),
        CommandSpec(.userDelete, arguments: ["name"]), CommandSpec(.userGet, arguments: ["name"]),
        CommandSpec(.userList), CommandSpec(.userPasswd, arguments: ["name", "password"]),
        CommandSpec(.userGrant, arguments: ["name", "role"]), CommandSpec(.userRevoke, arguments: ["name", "role"]),
        CommandSpec(.roleAdd, arguments: ["name"]), CommandSpec(.roleDelete, arguments: ["name"]),
        CommandSpec(.roleGet, arguments: ["name"]), CommandSpec(.roleList),
        CommandSpec(.roleGrant, arguments: ["role", "type", "key", "range_end"], required: 3,
                    options: [OptionSpec("prefix"), OptionSpec("from-key")]),
        CommandSpec(.roleRevoke, arguments: ["role", "key", "range_end"], required: 2,
                    options: [OptionSpec("prefix"), OptionSpec("from-key")]),
    ]

    static func spec(_ kind: CommandKind) -> CommandSpec { specs.first { $0.kind == kind }! }

    static let permissionTypes = ["read", "write", "readwrite"]

    static func decode(_ kind: CommandKind, _ tokens: ArraySlice<Token>) throws(WireError) -> AuthRequest {
        // Commands carrying a password never echo their arguments in errors.
        if kind == .userAdd || kind == .userPasswd {
            return try decodeWithPassword(kind, tokens)
        }
        let arguments = try Arguments(tokens, spec: spec(kind))
        func text(_ index: Int) throws(WireError) -> String {
            try arguments.positional[index].utf8Text(kind.verb, "<\(spec(kind).arguments[index])>")
        }
        switch kind {
        case .authEnable: return .enable
        case .authDisable: return .disable
        case .authStatus: return .status
        case .userDelete: return .userDelete(try text(0))
        case .userGet: return .userGet(try text(0))
        case .userList: return .userList
        case .userGrant: return .userGrantRole(user: try text(0), role: try text(1))
        case .userRevoke: return .userRevokeRole(user: try text(0), role: try text(1))
        case .roleAdd: return .roleAdd(try text(0))
        case .roleDelete: return .roleDelete(try text(0))
        case .roleGet: return .roleGet(try text(0))
        case .roleList: return .roleList
        case .roleGrant:
            let typeText = String(decoding: arguments.positional[1].bytes.map(asciiLowercased), as: UTF8.self)
            guard let index = permissionTypes.firstIndex(of: typeText), let type = Permission.Kind(rawValue: index) else {
                throw WireError.args(arguments.context, "invalid permission type \(arguments.positional[1].description) (read, write or readwrite)")
            }
            let range = try permissionRange(arguments, keyIndex: 2)
            return .roleGrantPermission(role: try text(0), permission: Permission(kind: type, key: range.key, rangeEnd: range.rangeEnd))
        case .roleRevoke:
            let range = try permissionRange(arguments, keyIndex: 1)
            return .roleRevokePermission(role: try text(0), key: range.key, rangeEnd: range.rangeEnd)
        default:
            throw WireError.internalError("\(kind.verb) is not an auth command")
        }
    }

    private static func decodeWithPassword(_ kind: CommandKind, _ tokens: ArraySlice<Token>) throws(WireError) -> AuthRequest {
        var positional: [Token] = []
        var noPassword = false
        for token in tokens {
            // Only USER-ADD's `--no-password` is an option; any other token is a name or a password,
            // even one that starts with `--`.
            if kind == .userAdd && token.isOption && token.bytes.map(asciiLowercased) == Array("--no-password".utf8) {
                noPassword = true
            } else {
                positional.append(token)
            }
        }
        let spec = spec(kind)
        guard positional.count >= spec.requiredArguments, positional.count <= spec.maximumArguments else {
            throw WireError.arity(kind.verb, expected: spec.arityText, got: positional.count)
        }
        if kind == .userPasswd {
            return .userChangePassword(name: try positional[0].utf8Text(kind.verb, "<name>"),
                                       password: try positional[1].utf8Text(kind.verb, "<password>"))
        }
        if noPassword {
            guard positional.count == 1 else { throw WireError.args(kind.verb, "--no-password cannot be combined with <password>") }
            return .userAdd(name: try positional[0].utf8Text(kind.verb, "<name>"), password: nil)
        }
        guard positional.count == 2 else { throw WireError.args(kind.verb, "a password or --no-password is required") }
        return .userAdd(name: try positional[0].utf8Text(kind.verb, "<name>"),
                        password: try positional[1].utf8Text(kind.verb, "<password>"))
    }

    /// `<key> [<range_end>] [--prefix|--from-key]` with etcdctl's meaning for a permission: `--prefix`
    /// on an empty key is every key (`\0`, `\0`).
    private static func permissionRange(_ arguments: Arguments, keyIndex: Int) throws(WireError) -> (key: [UInt8], rangeEnd: [UInt8]) {
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

    static func encode(_ value: AuthRequest, into buffer: inout ByteBuffer) {
        buffer.writeString(value.kind.verb)
        func word(_ text: String) {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeQuoted(Array(text.utf8))
        }
        func bytes(_ bytes: [UInt8]) {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeQuoted(bytes)
        }
        switch value {
        case .enable, .disable, .status, .userList, .roleList: break
        case .userAdd(let name, let password):
            word(name)
            if let password { word(password) } else { buffer.writeFlag("no-password") }
        case .userDelete(let name), .userGet(let name), .roleAdd(let name), .roleDelete(let name), .roleGet(let name):
            word(name)
        case .userChangePassword(let name, let password):
            word(name)
            word(password)
        case .userGrantRole(let user, let role), .userRevokeRole(let user, let role):
            word(user)
            word(role)
        case .roleGrantPermission(let role, let permission):
            word(role)
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeString(permissionTypes[permission.kind.rawValue])
            bytes(permission.key)
            if !permission.rangeEnd.isEmpty { bytes(permission.rangeEnd) }
        case .roleRevokePermission(let role, let key, let rangeEnd):
            word(role)
            bytes(key)
            if !rangeEnd.isEmpty { bytes(rangeEnd) }
        }
    }
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

extension Token {
    /// The token's bytes as text.
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

// MARK: Replies

extension ReplyEncoder {
    /// `OK <header> [enabled=0|1 auth_rev=N] [users=N USER <name>…] [roles=N ROLE <name>…]
    /// [perms=N PERM <type> <key> <range_end>…]` — the parts the command reads.
    public static func encode(_ value: AuthResponse, kind: CommandKind, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        switch kind {
        case .authStatus:
            buffer.writeField("enabled", value.enabled)
            buffer.writeField("auth_rev", unsigned: value.authRevision)
        case .userList:
            buffer.writeField("users", Int64(value.users.count))
            for user in value.users {
                buffer.writeASCII(" USER ")
                buffer.writeToken(user)
            }
        case .userGet, .roleList:
            buffer.writeField("roles", Int64(value.roles.count))
            for role in value.roles {
                buffer.writeASCII(" ROLE ")
                buffer.writeToken(role)
            }
        case .roleGet:
            buffer.writeField("perms", Int64(value.permissions.count))
            for permission in value.permissions {
                buffer.writeASCII(" PERM ")
                buffer.writeString(AuthManagementCommand.permissionTypes[permission.kind.rawValue])
                buffer.writeByte(UInt8(ascii: " "))
                buffer.writeQuoted(permission.key)
                buffer.writeByte(UInt8(ascii: " "))
                buffer.writeQuoted(permission.rangeEnd)
            }
        default:
            break
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }
}

extension ReplyDecoder {
    static func auth(_ fields: Fields, _ items: inout ItemCursor, kind: CommandKind) throws(WireError) -> AuthResponse {
        var response = AuthResponse(header: try header(fields))
        switch kind {
        case .authStatus:
            response.enabled = try fields.bool("enabled") ?? false
            response.authRevision = try fields.uint64("auth_rev") ?? 0
        case .userList:
            response.users = try items.next("USER", count: try fields.int64("users") ?? 0).map { $0.arguments[0].text }
        case .userGet, .roleList:
            response.roles = try items.next("ROLE", count: try fields.int64("roles") ?? 0).map { $0.arguments[0].text }
        case .roleGet:
            for item in try items.next("PERM", count: try fields.int64("perms") ?? 0) {
                let type = item.arguments[0].text
                guard let index = AuthManagementCommand.permissionTypes.firstIndex(of: type),
                      let permissionKind = Permission.Kind(rawValue: index) else {
                    throw WireError.protocolViolation("malformed reply: bad PERM type \(type)")
                }
                response.permissions.append(Permission(kind: permissionKind, key: item.arguments[1], rangeEnd: item.arguments[2]))
            }
        default:
            break
        }
        return response
    }
}

extension [UInt8] {
    fileprivate var text: String { String(decoding: self, as: UTF8.self) }
}
