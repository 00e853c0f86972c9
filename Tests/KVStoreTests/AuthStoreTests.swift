import Testing
@testable import KVStore
import TestSupport

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

struct AuthStoreTests {
    /// root, a reader of the `app/` prefix, a writer of `[m, p)`, and a user with no roles; auth enabled.
    private func makeAuth(clock: ManualClock = ManualClock()) throws -> AuthStore {
        let auth = AuthStore(clock: clock, tokenTTL: 60, iterations: 10)
        try auth.addUser("root", password: "rootpw")
        try auth.addUser("reader", password: "r")
        try auth.addUser("writer", password: "w")
        try auth.addUser("nobody", password: "n")
        try auth.addRole("app-read")
        try auth.grantPermission(Permission(kind: .read, key: b("app/"), rangeEnd: KeyRange.prefixRangeEnd(b("app/"))), to: "app-read")
        try auth.addRole("mp-write")
        try auth.grantPermission(Permission(kind: .write, key: b("m"), rangeEnd: b("p")), to: "mp-write")
        try auth.grantRole("app-read", to: "reader")
        try auth.grantRole("mp-write", to: "writer")
        try auth.enable()
        return auth
    }

    @Test func permissionMatrix() throws {
        let auth = try makeAuth()
        let tokens: [String: String?] = [
            "root": try auth.authenticate(name: "root", password: "rootpw"),
            "reader": try auth.authenticate(name: "reader", password: "r"),
            "writer": try auth.authenticate(name: "writer", password: "w"),
            "nobody": try auth.authenticate(name: "nobody", password: "n"),
            "anonymous": nil,
        ]
        // (operation, key, rangeEnd, write) → who is allowed.
        let cases: [(String, [UInt8], [UInt8], Bool, Set<String>)] = [
            ("read a key in the prefix", b("app/x"), [], false, ["root", "reader"]),
            ("read the whole prefix", b("app/"), b("app0"), false, ["root", "reader"]),
            ("read past the prefix", b("app/"), b("b"), false, ["root"]),
            ("write a key in the prefix", b("app/x"), [], true, ["root"]),
            ("write inside [m, p)", b("n"), [], true, ["root", "writer"]),
            ("write a sub-range of [m, p)", b("m"), b("o"), true, ["root", "writer"]),
            ("read inside [m, p)", b("n"), [], false, ["root"]),
            ("write from m on", b("m"), [0], true, ["root"]),
            ("write elsewhere", b("zz"), [], true, ["root"]),
        ]
        for (name, key, end, write, allowed) in cases {
            for (who, token) in tokens {
                let result = Result { () throws(AuthError) in try auth.checkPermission(token: token, key: key, rangeEnd: end, write: write) }
                if allowed.contains(who) {
                    #expect(throws: Never.self, "\(name) as \(who)") { try result.get() }
                } else {
                    let expected: AuthError = token == nil ? .userNameEmpty : .permissionDenied
                    #expect(throws: expected, "\(name) as \(who)") { try result.get() }
                }
            }
        }
        #expect(throws: Never.self) { try auth.checkAdmin(token: tokens["root"]!) }
        #expect(throws: AuthError.permissionDenied) { try auth.checkAdmin(token: tokens["reader"]!) }
    }

    @Test func loginFailuresAndErrorTexts() throws {
        let auth = try makeAuth()
        #expect(throws: AuthError.authenticationFailed) { try auth.authenticate(name: "reader", password: "wrong") }
        #expect(throws: AuthError.authenticationFailed) { try auth.authenticate(name: "ghost", password: "x") }
        #expect(AuthError.authenticationFailed.description == "etcdserver: authentication failed, invalid user ID or password")
        #expect(AuthError.permissionDenied.description == "etcdserver: permission denied")
        #expect(throws: AuthError.userAlreadyExists("root")) { try auth.addUser("root", password: "x") }
        #expect(throws: AuthError.userNameEmpty) { try auth.addUser("", password: "x") }
        #expect(throws: AuthError.roleNotFound("nope")) { try auth.grantRole("nope", to: "reader") }
        #expect(throws: AuthError.roleNotGranted) { try auth.revokeRole("mp-write", from: "reader") }
        #expect(throws: AuthError.permissionNotGranted) { try auth.revokePermission(key: b("x"), rangeEnd: [], from: "app-read") }
        #expect(throws: AuthError.invalidAuthManagement) { try auth.deleteUser("root") }
        try auth.addUser("nopass", password: nil)
        #expect(throws: AuthError.authenticationFailed) { try auth.authenticate(name: "nopass", password: "") }
    }

    @Test func enableNeedsRootAndCreatesTheRootRole() throws {
        let auth = AuthStore(clock: ManualClock(), iterations: 10)
        #expect(throws: AuthError.rootUserNotExist) { try auth.enable() }
        #expect(throws: AuthError.authNotEnabled) { try auth.authenticate(name: "root", password: "x") }
        // Disabled: everything is allowed, even without a token.
        #expect(throws: Never.self) { try auth.checkPermission(token: nil, key: b("k"), write: true) }
        try auth.addUser("root", password: "pw")
        try auth.enable()
        #expect(auth.roleNames() == ["root"])
        #expect(try auth.user("root").roles == ["root"])
        auth.disable()
        #expect(!auth.isEnabled)
    }

    @Test func tokensExpireAndChangesTakeEffectAtOnce() throws {
        let clock = ManualClock()
        let auth = try makeAuth(clock: clock)
        let token = try auth.authenticate(name: "writer", password: "w")
        #expect(try auth.userName(forToken: token) == "writer")
        clock.advance(seconds: 61)
        #expect(throws: AuthError.invalidAuthToken) { try auth.userName(forToken: token) }

        let fresh = try auth.authenticate(name: "writer", password: "w")
        try auth.revokeRole("mp-write", from: "writer")
        #expect(throws: AuthError.permissionDenied) { try auth.checkPermission(token: fresh, key: b("n"), write: true) }
        try auth.grantRole("mp-write", to: "writer")
        #expect(throws: Never.self) { try auth.checkPermission(token: fresh, key: b("n"), write: true) }
        try auth.changePassword("writer", to: "w2")
        #expect(throws: AuthError.invalidAuthToken) { try auth.checkPermission(token: fresh, key: b("n"), write: true) }
        #expect(throws: AuthError.authenticationFailed) { try auth.authenticate(name: "writer", password: "w") }
        #expect(!(try auth.authenticate(name: "writer", password: "w2")).isEmpty)
    }

    /// An embedder's token TTL at the Int edges: a huge one saturates ("never expires"), it never traps
    /// or wraps into an already expired token.
    @Test(arguments: [Int.min, -1, 0, 1, Int.max - 1, Int.max])
    func tokenTTLAtTheEdges(ttl: Int) throws {
        let clock = ManualClock(nanoseconds: UInt64.max - 5_000_000_000)
        let auth = AuthStore(clock: clock, tokenTTL: ttl, iterations: 10)
        try auth.addUser("root", password: "pw")
        try auth.enable()
        let token = try auth.authenticate(name: "root", password: "pw")
        #expect(try auth.userName(forToken: token) == "root", "a fresh token is valid, even near the clock's end")
        clock.advance(nanoseconds: 2_000_000_000)
        if ttl <= 1 {
            #expect(throws: AuthError.invalidAuthToken) { try auth.userName(forToken: token) }
        } else {
            #expect(try auth.userName(forToken: token) == "root")
        }
    }

    @Test func passwordsAreStoredOnlyAsSaltedHashes() throws {
        let a = PasswordHash(password: "secret", iterations: 10)
        let c = PasswordHash(password: "secret", iterations: 10)
        #expect(a.salt != c.salt && a.digest != c.digest, "salted")
        #expect(a.matches("secret") && !a.matches("Secret") && !a.matches(""))
        #expect(!"\(a)".contains("secret"))
        let auth = AuthStore(clock: ManualClock(), iterations: 10)
        try auth.addUser("u", password: "hunter2")
        #expect(!"\(try auth.user("u"))".contains("hunter2"))
    }

    @Test func permissionsAreKeptSortedAndReplacedPerRange() throws {
        let auth = AuthStore(clock: ManualClock(), iterations: 10)
        try auth.addRole("r")
        try auth.grantPermission(Permission(kind: .read, key: b("z")), to: "r")
        try auth.grantPermission(Permission(kind: .read, key: b("a"), rangeEnd: b("c")), to: "r")
        try auth.grantPermission(Permission(kind: .readwrite, key: b("z")), to: "r")
        #expect(try auth.role("r").permissions == [Permission(kind: .read, key: b("a"), rangeEnd: b("c")),
                                                   Permission(kind: .readwrite, key: b("z"))])
        // Permissions on one key keep the order they were granted in, as etcd keeps them.
        try auth.grantPermission(Permission(kind: .read, key: b("m"), rangeEnd: b("z")), to: "r")
        try auth.grantPermission(Permission(kind: .write, key: b("m"), rangeEnd: b("n")), to: "r")
        #expect(try auth.role("r").permissions.map(\.rangeEnd) == [b("c"), b("z"), b("n"), []])
        try auth.deleteRole("r")
        #expect(auth.roleNames().isEmpty)
    }

    @Test func anEmptyPasswordIsAPasswordAsInEtcd() throws {
        let auth = AuthStore(clock: ManualClock(), iterations: 10)
        try auth.addUser("root", password: "")
        try auth.enable()
        #expect(!(try auth.authenticate(name: "root", password: "")).isEmpty)
        #expect(throws: AuthError.authenticationFailed) { try auth.authenticate(name: "root", password: "x") }
    }
}

/// The union-of-permissions check against a brute-force model: a range is covered exactly when every
/// point where coverage could start to fail — its start and each permission's end inside it — lies in
/// some permission. (For an unbounded range, the largest finite end is such a point, so bounded
/// permissions alone never cover it.)
struct PermissionCoverageTests {
    private static func interval(_ key: [UInt8], _ end: [UInt8]) -> (start: [UInt8], end: [UInt8]?)? {
        Permission.Interval(key: key, rangeEnd: end).map { ($0.start, $0.end) }
    }

    private static func contains(_ i: (start: [UInt8], end: [UInt8]?), _ point: [UInt8]) -> Bool {
        !point.lexicographicallyPrecedes(i.start) && (i.end.map { point.lexicographicallyPrecedes($0) } ?? true)
    }

    @Test func unionMatchesTheModel() {
        var rng = SeededGenerator(seed: 0xa0_7e57)
        let alphabet: [UInt8] = [0, 0x61, 0x62, 0xff]
        func word() -> [UInt8] { (0..<Int.random(in: 0...2, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! } }
        func end() -> [UInt8] {
            switch Int.random(in: 0...3, using: &rng) {
            case 0: return []
            case 1: return [0]
            default: return word()
            }
        }
        var covered = 0
        for _ in 0..<4000 {
            let permissions = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Permission(kind: .read, key: word(), rangeEnd: end()) }
            let key = word(), rangeEnd = end()
            let actual = Permission.union(permissions, covers: key, rangeEnd: rangeEnd)
            var expected = false
            if let wanted = Self.interval(key, rangeEnd) {
                let granted = permissions.compactMap { Self.interval($0.key, $0.rangeEnd) }
                let candidates = [wanted.start] + granted.compactMap(\.end)
                expected = candidates.filter { Self.contains(wanted, $0) }.allSatisfy { point in
                    granted.contains { Self.contains($0, point) }
                }
            }
            #expect(actual == expected, "\(permissions) cover \(key)..\(rangeEnd)")
            if actual { covered += 1 }
        }
        #expect(covered > 200, "the generator produces covered ranges too")
    }

    @Test func adjacentPermissionsCoverTogether() {
        let ab = Permission(kind: .read, key: b("a"), rangeEnd: b("c"))
        let cd = Permission(kind: .read, key: b("c"), rangeEnd: b("e"))
        #expect(Permission.union([cd, ab], covers: b("a"), rangeEnd: b("e")))
        #expect(!Permission.union([ab], covers: b("a"), rangeEnd: b("e")))
        #expect(!Permission.union([ab, Permission(kind: .read, key: b("d"), rangeEnd: b("e"))], covers: b("a"), rangeEnd: b("e")))
        #expect(Permission.union([Permission(kind: .read, key: b("k"))], covers: b("k"), rangeEnd: []))
        #expect(Permission.union([Permission(kind: .read, key: b("k"))], covers: b("k"), rangeEnd: b("k\0")))
        #expect(!Permission.union([Permission(kind: .read, key: b("k"))], covers: b("k"), rangeEnd: b("l")))
        #expect(Permission.union([Permission(kind: .read, key: b("k"), rangeEnd: [0])], covers: b("z"), rangeEnd: [0]))
        #expect(!Permission.union([ab], covers: [], rangeEnd: []), "an empty key is never covered")
        #expect(!Permission.union([ab], covers: b("b"), rangeEnd: b("a")), "a reversed range is never covered")
    }
}
