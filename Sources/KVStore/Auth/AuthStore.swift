import KVSync

/// etcd's authentication and role-based access control, for an embedding app or the server: users
/// (with PBKDF2-hashed passwords, or none), roles holding key-range permissions, `root` as etcd treats
/// it, and opaque tokens with a TTL. Thread-safe.
///
/// Changes take effect at once: permission checks read the user's current roles, and a password
/// change or user deletion invalidates that user's tokens. Auth changes never touch the key-value
/// revision (etcd's rule).
public final class AuthStore: Sendable {
    public struct User: Hashable, Sendable {
        public let name: String
        /// Granted roles, sorted.
        public internal(set) var roles: [String]
        var password: PasswordHash?
        /// Whether the user can log in with a password (users made without one cannot).
        public var hasPassword: Bool { password != nil }
    }

    public struct Role: Hashable, Sendable {
        public let name: String
        /// Sorted by key, then range end.
        public internal(set) var permissions: [Permission]
    }

    struct Token {
        let user: String
        let expires: UInt64
        let generation: Int
    }

    struct State {
        var enabled = false
        var users: [String: User] = [:]
        var roles: [String: Role] = [:]
        var tokens: [String: Token] = [:]
        /// Bumped when a user's password changes or the user is deleted: older tokens stop working.
        var generations: [String: Int] = [:]
    }

    public static let rootName = "root"

    private let state = Locked(State())
    private let clock: any StoreClock
    private let tokenTTL: UInt64
    private let iterations: Int

    /// - Parameters:
    ///   - tokenTTL: seconds a token stays valid (etcd's simple tokens: 300).
    ///   - iterations: PBKDF2 iterations for new password hashes.
    public init(clock: any StoreClock = SystemClock(), tokenTTL: Int = 300, iterations: Int = PasswordHash.defaultIterations) {
        self.clock = clock
        self.tokenTTL = UInt64(max(1, tokenTTL)) * 1_000_000_000
        self.iterations = max(1, iterations)
    }

    // MARK: Enabling

    public var isEnabled: Bool { state.withLock { $0.enabled } }

    /// Turns auth on. The root user must exist; the root role is created and granted to it when missing.
    public func enable() throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard s.users[Self.rootName] != nil else { throw .rootUserNotExist }
            if s.roles[Self.rootName] == nil { s.roles[Self.rootName] = Role(name: Self.rootName, permissions: []) }
            if !s.users[Self.rootName]!.roles.contains(Self.rootName) {
                s.users[Self.rootName]!.roles = (s.users[Self.rootName]!.roles + [Self.rootName]).sorted()
            }
            s.enabled = true
        }
    }

    /// Turns auth off (also when already off) and drops every token.
    public func disable() {
        state.withLock { s in
            s.enabled = false
            s.tokens = [:]
        }
    }

    // MARK: Users

    /// Adds a user; a nil password makes a user that cannot log in with one (etcd's `--no-password`).
    public func addUser(_ name: String, password: String?) throws(AuthError) {
        if name.isEmpty { throw .userNameEmpty }
        if let password, password.isEmpty { throw .userWithEmptyPassword }
        let hash = password.map { PasswordHash(password: $0, iterations: iterations) }
        try state.withLock { (s) throws(AuthError) in
            guard s.users[name] == nil else { throw .userAlreadyExists(name) }
            s.users[name] = User(name: name, roles: [], password: hash)
        }
    }

    public func deleteUser(_ name: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            if s.enabled, name == Self.rootName { throw .invalidAuthManagement }
            s.users[name] = nil
            s.generations[name, default: 0] += 1
        }
    }

    public func user(_ name: String) throws(AuthError) -> User {
        guard let user = state.withLock({ $0.users[name] }) else { throw .userNotFound(name) }
        return user
    }

    /// Every user name, sorted.
    public func userNames() -> [String] { state.withLock { $0.users.keys.sorted() } }

    /// Sets a new password; the user's existing tokens stop working at once.
    public func changePassword(_ name: String, to password: String) throws(AuthError) {
        if password.isEmpty { throw .userWithEmptyPassword }
        let hash = PasswordHash(password: password, iterations: iterations)
        try state.withLock { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            s.users[name]!.password = hash
            s.generations[name, default: 0] += 1
        }
    }

    public func grantRole(_ role: String, to name: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            guard s.roles[role] != nil || role == Self.rootName else { throw .roleNotFound(role) }
            if s.roles[role] == nil { s.roles[role] = Role(name: role, permissions: []) }
            if !s.users[name]!.roles.contains(role) { s.users[name]!.roles = (s.users[name]!.roles + [role]).sorted() }
        }
    }

    public func revokeRole(_ role: String, from name: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            guard s.users[name]!.roles.contains(role) else { throw .roleNotGranted }
            if s.enabled, name == Self.rootName, role == Self.rootName { throw .invalidAuthManagement }
            s.users[name]!.roles.removeAll { $0 == role }
        }
    }

    // MARK: Roles

    public func addRole(_ name: String) throws(AuthError) {
        if name.isEmpty { throw .roleNotFound(name) }
        try state.withLock { (s) throws(AuthError) in
            guard s.roles[name] == nil else { throw .roleAlreadyExists(name) }
            s.roles[name] = Role(name: name, permissions: [])
        }
    }

    /// Deletes a role and takes it from every user.
    public func deleteRole(_ name: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard s.roles[name] != nil else { throw .roleNotFound(name) }
            if s.enabled, name == Self.rootName { throw .invalidAuthManagement }
            s.roles[name] = nil
            for user in s.users.keys { s.users[user]!.roles.removeAll { $0 == name } }
        }
    }

    public func role(_ name: String) throws(AuthError) -> Role {
        guard let role = state.withLock({ $0.roles[name] }) else { throw .roleNotFound(name) }
        return role
    }

    /// Every role name, sorted.
    public func roleNames() -> [String] { state.withLock { $0.roles.keys.sorted() } }

    /// Grants a permission; one on the same key range is replaced (its type changes).
    public func grantPermission(_ permission: Permission, to role: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard var current = s.roles[role] else { throw .roleNotFound(role) }
            current.permissions.removeAll { $0.key == permission.key && $0.rangeEnd == permission.rangeEnd }
            current.permissions.append(permission)
            current.permissions.sort { a, b in
                a.key != b.key ? a.key.lexicographicallyPrecedes(b.key) : a.rangeEnd.lexicographicallyPrecedes(b.rangeEnd)
            }
            s.roles[role] = current
        }
    }

    public func revokePermission(key: [UInt8], rangeEnd: [UInt8], from role: String) throws(AuthError) {
        try state.withLock { (s) throws(AuthError) in
            guard var current = s.roles[role] else { throw .roleNotFound(role) }
            guard current.permissions.contains(where: { $0.key == key && $0.rangeEnd == rangeEnd }) else { throw .permissionNotGranted }
            current.permissions.removeAll { $0.key == key && $0.rangeEnd == rangeEnd }
            s.roles[role] = current
        }
    }

    // MARK: Tokens and checks

    /// Checks a user's password and returns a fresh token (random, 128 bits) valid for the token TTL.
    /// The same error for an unknown user and a wrong password, so neither can be probed.
    public func authenticate(name: String, password: String) throws(AuthError) -> String {
        guard let (user, enabled, generation) = state.withLock({ s in s.users[name].map { ($0, s.enabled, s.generations[name] ?? 0) } }) else {
            // Spend the same time as a real check.
            _ = PasswordHash(salt: [0], iterations: iterations, digest: [0]).matches(password)
            throw state.withLock({ $0.enabled }) ? .authenticationFailed : .authNotEnabled
        }
        guard enabled else { throw .authNotEnabled }
        guard let hash = user.password, hash.matches(password) else { throw .authenticationFailed }
        var generator = SystemRandomNumberGenerator()
        let token = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let expires = clock.nowNanoseconds() &+ tokenTTL
        state.withLock { s in
            // Drop expired tokens now and then, so they cannot pile up.
            if s.tokens.count > 1024 {
                let now = clock.nowNanoseconds()
                s.tokens = s.tokens.filter { $0.value.expires > now }
            }
            s.tokens[token] = Token(user: name, expires: expires, generation: generation)
        }
        return token
    }

    /// The user a token belongs to.
    /// - Throws: `.invalidAuthToken` for an unknown, expired or revoked (password changed) token.
    public func userName(forToken token: String) throws(AuthError) -> String {
        let now = clock.nowNanoseconds()
        return try state.withLock { (s) throws(AuthError) -> String in
            guard let entry = s.tokens[token], entry.expires > now, s.users[entry.user] != nil,
                  entry.generation == s.generations[entry.user] ?? 0 else {
                s.tokens[token] = nil
                throw .invalidAuthToken
            }
            return entry.user
        }
    }

    /// Whether the holder of `token` may read (or write) every key of `[key, rangeEnd)`. Always allowed
    /// while auth is disabled; root may do everything.
    /// - Throws: `.userNameEmpty` without a token, `.invalidAuthToken`, `.permissionDenied`.
    public func checkPermission(token: String?, key: [UInt8], rangeEnd: [UInt8] = [], write: Bool) throws(AuthError) {
        guard isEnabled else { return }
        guard let token else { throw .userNameEmpty }
        let name = try userName(forToken: token)
        let allowed = state.withLock { s -> Bool in
            guard let user = s.users[name] else { return false }
            if user.roles.contains(Self.rootName) { return true }
            for roleName in user.roles {
                guard let role = s.roles[roleName] else { continue }
                for permission in role.permissions where (write ? permission.allowsWrite : permission.allowsRead) {
                    if permission.covers(key: key, rangeEnd: rangeEnd) { return true }
                }
            }
            return false
        }
        if !allowed { throw .permissionDenied }
    }

    /// For root-only operations (compaction, snapshot, auth management): allowed while auth is disabled.
    public func checkAdmin(token: String?) throws(AuthError) {
        guard isEnabled else { return }
        guard let token else { throw .userNameEmpty }
        let name = try userName(forToken: token)
        let isRoot = state.withLock { $0.users[name]?.roles.contains(Self.rootName) ?? false }
        if !isRoot { throw .permissionDenied }
    }
}
