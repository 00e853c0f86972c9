import KVStore

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
        "\(spec.name) \(quotedForLog(value.name)) (\(value.password == nil ? "no password" : "with a password"))"
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

    static func describe(_ value: (name: String, password: String)) -> String { "\(spec.name) \(quotedForLog(value.name))" }
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
        return (try arguments.positionalText(0), Permission(kind: type, key: range.key, rangeEnd: range.rangeEnd))
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
        "\(spec.name) \(quotedForLog(value.role)) \(permissionTypeWords[value.permission.kind.rawValue])"
            + " \(quotedForLog(value.permission.key)) \(quotedForLog(value.permission.rangeEnd))"
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
        return (try arguments.positionalText(0), range.key, range.rangeEnd)
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
        "\(spec.name) \(quotedForLog(value.role)) \(quotedForLog(value.key)) \(quotedForLog(value.rangeEnd))"
    }
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
