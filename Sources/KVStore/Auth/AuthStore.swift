import KVSync
import Synchronization

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
        /// Granted roles, sorted, each once.
        public internal(set) var roles: [String]
        /// The stored hash; nil for a user made without a password.
        public internal(set) var password: PasswordHash?
        /// Whether the user can log in with a password (users made without one cannot).
        public var hasPassword: Bool { password != nil }

        /// Repeated roles are dropped: a snapshot refuses a user holding one role twice.
        public init(name: String, roles: [String], password: PasswordHash?) {
            self.name = name
            self.roles = Array(Set(roles)).sorted()
            self.password = password
        }
    }

    public struct Role: Hashable, Sendable {
        public let name: String
        /// Sorted by key; permissions on the same key in the order they were granted (etcd's order).
        public internal(set) var permissions: [Permission]

        public init(name: String, permissions: [Permission]) {
            self.name = name
            self.permissions = permissions
        }
    }

    struct Token {
        let user: String
        let expires: UInt64
        let generation: Int
    }

    struct State {
        var enabled = false
        /// etcd's auth revision: bumped by every change to users, roles or the enabled flag.
        var revision: UInt64 = 1
        var users: [String: User] = [:]
        var roles: [String: Role] = [:]
        var tokens: [String: Token] = [:]
        /// Bumped when a user's password changes or the user is deleted: older tokens stop working.
        var generations: [String: Int] = [:]
        /// Compiled permissions per user; emptied by every change.
        var access: [String: UserAccess] = [:]
        /// Token count at which expired tokens are next swept out (amortized O(1) per login).
        var tokenSweepAt = 1024

        /// The user a token belongs to, renewing it (at most once a second, so the hot path rarely
        /// writes); nil for an unknown, expired or revoked token, which is dropped.
        mutating func user(forToken token: String, now: UInt64, ttl: UInt64) -> String? {
            guard let entry = tokens[token], entry.expires > now, users[entry.user] != nil,
                  entry.generation == generations[entry.user] ?? 0 else {
                tokens[token] = nil
                return nil
            }
            if entry.expires &- now < ttl &- min(ttl / 2, 1_000_000_000) {
                tokens[token] = Token(user: entry.user, expires: AuthStore.deadline(now, ttl), generation: entry.generation)
            }
            return entry.user
        }

        /// The user's compiled permissions (cached until the next change).
        mutating func access(for name: String) -> UserAccess {
            if let cached = access[name] { return cached }
            let roleNames = users[name]?.roles ?? []
            let permissions = roleNames.flatMap { roles[$0]?.permissions ?? [] }
            let compiled = UserAccess(isRoot: roleNames.contains(AuthStore.rootName),
                                      read: PermissionSet(permissions.filter(\.allowsRead)),
                                      write: PermissionSet(permissions.filter(\.allowsWrite)))
            access[name] = compiled
            return compiled
        }
    }

    public static let rootName = "root"

    private let state = Locked(State())
    /// Mirrors `State.enabled` so the check every request makes while auth is off is one atomic load.
    private let enabledFlag = Atomic<Bool>(false)
    /// Where every change's resulting state goes (`Store.attachJournal`); set once, under `state`'s lock.
    private nonisolated(unsafe) var journal: (any StoreJournal)?
    private let clock: any StoreClock
    private let tokenTTL: UInt64
    private let iterations: Int

    /// - Parameters:
    ///   - tokenTTL: seconds a token stays valid (etcd's simple tokens: 300).
    ///   - iterations: PBKDF2 iterations for new password hashes.
    public init(clock: any StoreClock = SystemClock(), tokenTTL: Int = 300, iterations: Int = PasswordHash.defaultIterations) {
        self.clock = clock
        // Saturating: an embedder's huge TTL means "never expires", not a trap.
        let (nanos, overflow) = UInt64(max(1, tokenTTL)).multipliedReportingOverflow(by: 1_000_000_000)
        self.tokenTTL = overflow ? UInt64.max : nanos
        self.iterations = max(1, iterations)
    }

    /// `now + ttl`, saturating at the end of time rather than wrapping to an expired token.
    static func deadline(_ now: UInt64, _ ttl: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(ttl)
        return overflow ? UInt64.max : sum
    }

    // MARK: Enabling

    public var isEnabled: Bool { enabledFlag.load(ordering: .acquiring) }

    /// etcd's auth revision: starts at 1 and grows with every change (never with key-value writes).
    public var revision: UInt64 { state.withLock { $0.revision } }

    /// Applies one change under the lock, bumping the auth revision when it succeeds.
    private func change<T>(_ body: (inout State) throws(AuthError) -> T) throws(AuthError) -> T {
        try state.withLock { (s) throws(AuthError) -> T in
            let result = try body(&s)
            s.revision &+= 1
            s.access.removeAll()
            enabledFlag.store(s.enabled, ordering: .releasing)
            journalContents(of: s)
            return result
        }
    }

    /// Turns auth on. The root user must exist; the root role is created and granted to it when missing.
    public func enable() throws(AuthError) {
        try change { (s) throws(AuthError) in
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
            s.access.removeAll()
            s.revision &+= 1
            enabledFlag.store(false, ordering: .releasing)
            journalContents(of: s)
        }
    }

    /// Sends the whole resulting state to the journal (auth changes are rare and the state small, so a
    /// record is the state itself: replaying it is idempotent).
    private func journalContents(of s: State) {
        guard let journal else { return }
        let record = [JournalRecord.authTag] + JournalRecord.encodeAuth(Self.contents(of: s))
        record.withUnsafeBytes { journal.append($0) }
    }

    func attachJournal(_ journal: any StoreJournal) {
        state.withLock { _ in self.journal = journal }
    }

    // MARK: Users

    /// Adds a user; a nil password makes a user that cannot log in with one (etcd's `--no-password`).
    /// An empty password is a password, as in etcd.
    public func addUser(_ name: String, password: String?) throws(AuthError) {
        if name.isEmpty { throw .userNameEmpty }
        let hash = password.map { PasswordHash(password: $0, iterations: iterations) }
        try change { (s) throws(AuthError) in
            guard s.users[name] == nil else { throw .userAlreadyExists(name) }
            s.users[name] = User(name: name, roles: [], password: hash)
        }
    }

    public func deleteUser(_ name: String) throws(AuthError) {
        try change { (s) throws(AuthError) in
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
        let hash = PasswordHash(password: password, iterations: iterations)
        try change { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            s.users[name]!.password = hash
            s.generations[name, default: 0] += 1
        }
    }

    public func grantRole(_ role: String, to name: String) throws(AuthError) {
        try change { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            guard s.roles[role] != nil || role == Self.rootName else { throw .roleNotFound(role) }
            if s.roles[role] == nil { s.roles[role] = Role(name: role, permissions: []) }
            if !s.users[name]!.roles.contains(role) { s.users[name]!.roles = (s.users[name]!.roles + [role]).sorted() }
        }
    }

    public func revokeRole(_ role: String, from name: String) throws(AuthError) {
        try change { (s) throws(AuthError) in
            guard s.users[name] != nil else { throw .userNotFound(name) }
            guard s.users[name]!.roles.contains(role) else { throw .roleNotGranted }
            if s.enabled, name == Self.rootName, role == Self.rootName { throw .invalidAuthManagement }
            s.users[name]!.roles.removeAll { $0 == role }
        }
    }

    // MARK: Roles

    public func addRole(_ name: String) throws(AuthError) {
        if name.isEmpty { throw .roleNotFound(name) }
        try change { (s) throws(AuthError) in
            guard s.roles[name] == nil else { throw .roleAlreadyExists(name) }
            s.roles[name] = Role(name: name, permissions: [])
        }
    }

    /// Deletes a role and takes it from every user.
    public func deleteRole(_ name: String) throws(AuthError) {
        try change { (s) throws(AuthError) in
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
        try change { (s) throws(AuthError) in
            guard var current = s.roles[role] else { throw .roleNotFound(role) }
            // As etcd: the same range changes its type in place; a new one goes after every permission
            // whose key is not greater, so equal keys keep the order they were granted in.
            if let index = current.permissions.firstIndex(where: { $0.key == permission.key && $0.rangeEnd == permission.rangeEnd }) {
                current.permissions[index].kind = permission.kind
            } else {
                let index = current.permissions.firstIndex { permission.key.lexicographicallyPrecedes($0.key) }
                current.permissions.insert(permission, at: index ?? current.permissions.endIndex)
            }
            s.roles[role] = current
        }
    }

    public func revokePermission(key: [UInt8], rangeEnd: [UInt8], from role: String) throws(AuthError) {
        try change { (s) throws(AuthError) in
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
        return issueToken(for: name, generation: generation)
    }

    /// A token for `name` without a password, for a client whose TLS certificate — verified against the
    /// server's trusted CA — names it in its Common Name (etcd's rule for client-certificate auth: the
    /// certificate's CN is the user of a request that carries no token). Nil while auth is off or when
    /// no such user exists.
    public func token(forCertifiedUser name: String) -> String? {
        guard let generation = state.withLock({ s in s.enabled && s.users[name] != nil ? s.generations[name] ?? 0 : nil }) else {
            return nil
        }
        return issueToken(for: name, generation: generation)
    }

    /// Whether `token` is valid now (not expired, its user still there with the same password).
    public func isLive(_ token: String) -> Bool {
        let now = clock.nowNanoseconds()
        return state.withLock { $0.user(forToken: token, now: now, ttl: tokenTTL) != nil }
    }

    private func issueToken(for name: String, generation: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let expires = AuthStore.deadline(clock.nowNanoseconds(), tokenTTL)
        state.withLock { s in
            // Drop expired tokens now and then, so they cannot pile up.
            if s.tokens.count >= s.tokenSweepAt {
                let now = clock.nowNanoseconds()
                s.tokens = s.tokens.filter { $0.value.expires > now }
                s.tokenSweepAt = max(1024, s.tokens.count * 2)
            }
            s.tokens[token] = Token(user: name, expires: expires, generation: generation)
        }
        return token
    }

    /// Ends a token at once (a server drops a connection's token when the connection closes).
    public func revoke(token: String) {
        state.withLock { _ = $0.tokens.removeValue(forKey: token) }
    }

    /// How many tokens are live or not yet swept (for tests and diagnostics).
    public var tokenCount: Int { state.withLock { $0.tokens.count } }

    /// The user a token belongs to. Using a token renews it for another token TTL (etcd's simple
    /// tokens), so only an idle token expires.
    /// - Throws: `.invalidAuthToken` for an unknown, expired or revoked (password changed) token.
    public func userName(forToken token: String) throws(AuthError) -> String {
        let now = clock.nowNanoseconds()
        guard let name = state.withLock({ $0.user(forToken: token, now: now, ttl: tokenTTL) }) else { throw .invalidAuthToken }
        return name
    }

    /// Whether the holder of `token` may read (or write) every key of `[key, rangeEnd)` (etcd's
    /// convention for the range). Always allowed while auth is disabled; root may do everything. The
    /// range must be covered by the union of the user's permissions, as etcd's interval check does.
    /// - Throws: `.userNameEmpty` without a token, `.invalidAuthToken`, `.permissionDenied`.
    public func checkPermission(token: String?, key: [UInt8], rangeEnd: [UInt8] = [], write: Bool) throws(AuthError) {
        guard isEnabled else { return }
        guard let token else { throw .userNameEmpty }
        let now = clock.nowNanoseconds()
        // One lock hold: the token, the user's compiled permissions (cached), one binary search.
        let refusal = state.withLock { s -> AuthError? in
            guard let name = s.user(forToken: token, now: now, ttl: tokenTTL) else { return .invalidAuthToken }
            let access = s.access(for: name)
            if access.isRoot { return nil }
            return (write ? access.write : access.read).covers(key: key, rangeEnd: rangeEnd) ? nil : .permissionDenied
        }
        if let refusal { throw refusal }
    }

    /// For root-only operations (compaction, snapshot, hash, auth management): allowed while auth is
    /// disabled.
    public func checkAdmin(token: String?) throws(AuthError) {
        guard isEnabled else { return }
        let name = try authenticatedUser(token)
        if !isRoot(name) { throw .permissionDenied }
    }

    /// For operations any logged-in user may make (lease grant and keep-alive): allowed while auth is
    /// disabled or without a token (as etcd does); a token given must be valid.
    public func checkToken(_ token: String?) throws(AuthError) {
        guard isEnabled, let token else { return }
        _ = try userName(forToken: token)
    }

    /// Reading a user's record: root, or that user itself (etcd's rule).
    public func checkUserGet(_ name: String, token: String?) throws(AuthError) {
        guard isEnabled else { return }
        let caller = try authenticatedUser(token)
        if caller != name && !isRoot(caller) { throw .permissionDenied }
    }

    /// Reading a role's record: root, or a user holding that role (etcd's rule).
    public func checkRoleGet(_ role: String, token: String?) throws(AuthError) {
        guard isEnabled else { return }
        let caller = try authenticatedUser(token)
        let holds = state.withLock { $0.users[caller]?.roles.contains(role) ?? false }
        if !holds && !isRoot(caller) { throw .permissionDenied }
    }

    private func authenticatedUser(_ token: String?) throws(AuthError) -> String {
        guard let token else { throw .userNameEmpty }
        return try userName(forToken: token)
    }

    private func isRoot(_ name: String) -> Bool {
        state.withLock { $0.users[name]?.roles.contains(Self.rootName) ?? false }
    }

    // MARK: Saving and loading

    /// Everything an auth store keeps except its tokens (which a restart invalidates, as in etcd).
    public struct Contents: Hashable, Sendable {
        public var enabled: Bool
        public var revision: UInt64
        /// Sorted by name.
        public var users: [User]
        /// Sorted by name.
        public var roles: [Role]

        public init(enabled: Bool = false, revision: UInt64 = 1, users: [User] = [], roles: [Role] = []) {
            self.enabled = enabled
            self.revision = revision
            self.users = users
            self.roles = roles
        }

        /// Nothing configured: what a fresh store holds.
        public var isEmpty: Bool { !enabled && users.isEmpty && roles.isEmpty }
    }

    /// The current users, roles and flags, for a snapshot.
    public var contents: Contents {
        state.withLock { Self.contents(of: $0) }
    }

    private static func contents(of s: State) -> Contents {
        Contents(enabled: s.enabled, revision: s.revision,
                 users: s.users.values.sorted { $0.name < $1.name },
                 roles: s.roles.values.sorted { $0.name < $1.name })
    }

    /// Replaces everything with `contents` (a restored snapshot); every token is dropped.
    public func load(_ contents: Contents) {
        state.withLock { s in
            s = State()
            s.enabled = contents.enabled
            s.revision = contents.revision
            for user in contents.users { s.users[user.name] = user }
            for role in contents.roles { s.roles[role.name] = role }
            s.access.removeAll()
            enabledFlag.store(s.enabled, ordering: .releasing)
        }
    }
}
