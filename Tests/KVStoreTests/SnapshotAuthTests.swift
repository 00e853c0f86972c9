import Testing
@testable import KVStore
import TestSupport

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The auth record of a snapshot: users, roles, the enabled flag and the auth revision survive a save
/// and restore; a store without auth writes exactly what it wrote before auth was saved; damaged or
/// malformed auth records are refused.
struct SnapshotAuthTests {
    /// Few PBKDF2 iterations keep logins fast; the hash is saved as it is, whatever the count.
    private func configuration(_ clock: ManualClock) -> StoreConfiguration {
        StoreConfiguration(clusterID: 11, memberID: 22, clock: clock, passwordHashIterations: 3)
    }

    /// A few keys (one deleted), and a lease with a key attached.
    private func populateKeys(_ store: Store) throws {
        try store.put("app/a", "1")
        try store.put("config", "2")
        let lease = try store.grantLease(ttl: 60, id: 7).id
        try store.put("m/leased", "3", lease: lease)
        try store.delete("config")
        try store.put("config", "4")
    }

    /// root; alice (single key + prefix), bob (range + from key), carol (no roles), service (no
    /// password; prefix), an unused role; auth enabled.
    private func addAuth(to store: Store) throws {
        let auth = store.auth
        try auth.addUser("root", password: "root-pw")
        try auth.addUser("alice", password: "alice-pw")
        try auth.addUser("bob", password: "bob-pw")
        try auth.addUser("carol", password: "carol-pw")
        try auth.addUser("service", password: nil)
        try auth.addRole("single")
        try auth.grantPermission(Permission(kind: .readwrite, key: b("config")), to: "single")
        try auth.addRole("range")
        try auth.grantPermission(Permission(kind: .read, key: b("m"), rangeEnd: b("p")), to: "range")
        try auth.addRole("prefix")
        try auth.grantPermission(Permission(kind: .write, key: b("app/"), rangeEnd: KeyRange.prefixRangeEnd(b("app/"))), to: "prefix")
        try auth.addRole("from-key")
        try auth.grantPermission(Permission(kind: .read, key: b("z"), rangeEnd: [0]), to: "from-key")
        try auth.addRole("unused")
        try auth.grantRole("single", to: "alice")
        try auth.grantRole("prefix", to: "alice")
        try auth.grantRole("range", to: "bob")
        try auth.grantRole("from-key", to: "bob")
        try auth.grantRole("prefix", to: "service")
        try auth.enable()
    }

    /// (key, range end, write) requests checked against each user.
    private static let checks: [(key: [UInt8], rangeEnd: [UInt8], write: Bool)] = [
        (b("config"), [], false), (b("config"), [], true), (b("config2"), [], false),
        (b("app/x"), [], true), (b("app/x"), [], false), (b("app/"), KeyRange.prefixRangeEnd(b("app/")), true), (b("app/"), b("b"), true),
        (b("n"), [], false), (b("m"), b("p"), false), (b("m"), b("q"), false), (b("n"), [], true),
        (b("z"), [0], false), (b("zz"), [], false), (b("y"), [0], false), (b("zz"), [], true),
    ]

    /// "allowed" or the error for each check, as the holder of `token`.
    private func outcomes(_ store: Store, token: String?, checks: [(key: [UInt8], rangeEnd: [UInt8], write: Bool)] = SnapshotAuthTests.checks) -> [String] {
        checks.map { check in
            do {
                try store.auth.checkPermission(token: token, key: check.key, rangeEnd: check.rangeEnd, write: check.write)
                return "allowed"
            } catch {
                return "\(error)"
            }
        }
    }

    private func allowed(_ outcomes: [String]) -> [Int] {
        outcomes.indices.filter { outcomes[$0] == "allowed" }
    }

    @Test func roundTripKeepsUsersRolesAndPermissions() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let original = Store(configuration: configuration(clock))
        try populateKeys(original)
        let kvRevision = original.revision
        try addAuth(to: original)
        #expect(original.revision == kvRevision, "auth changes do not move the key-value revision")
        let bytes = try save(original)
        let restored = try Store.restore(configuration: configuration(clock), from: source(bytes, step: 100))

        #expect(restored.revision == kvRevision)
        #expect(try restored.range(RangeRequest(key: [0], rangeEnd: [0])).kvs == original.range(RangeRequest(key: [0], rangeEnd: [0])).kvs)
        #expect(restored.leaseTimeToLive(7, keys: true).keys == [b("m/leased")])
        #expect(restored.auth.contents == original.auth.contents)
        #expect(restored.auth.revision == original.auth.revision && restored.auth.revision > 1)
        #expect(restored.auth.isEnabled)
        #expect(restored.auth.userNames() == ["alice", "bob", "carol", "root", "service"])
        #expect(restored.auth.roleNames() == ["from-key", "prefix", "range", "root", "single", "unused"])
        #expect(try restored.auth.user("service").password == nil)
        #expect(try restored.auth.user("root").roles == ["root"])

        for (user, password) in [("root", "root-pw"), ("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")] {
            #expect(throws: AuthError.authenticationFailed, "\(user)") { try restored.auth.authenticate(name: user, password: password + "x") }
            let before = try original.auth.authenticate(name: user, password: password)
            let after = try restored.auth.authenticate(name: user, password: password)
            #expect(outcomes(restored, token: after) == outcomes(original, token: before), "\(user)")
            // Tokens are not saved: a token of the original means nothing to the restored store.
            #expect(throws: AuthError.invalidAuthToken, "\(user)") { try restored.auth.userName(forToken: before) }
        }
        #expect(throws: AuthError.authenticationFailed) { try restored.auth.authenticate(name: "service", password: "anything") }
        #expect(outcomes(restored, token: nil) == outcomes(original, token: nil))

        // The checks tell the users apart, so the comparison above means something.
        let alice = try restored.auth.authenticate(name: "alice", password: "alice-pw")
        let bob = try restored.auth.authenticate(name: "bob", password: "bob-pw")
        let carol = try restored.auth.authenticate(name: "carol", password: "carol-pw")
        let root = try restored.auth.authenticate(name: "root", password: "root-pw")
        #expect(allowed(outcomes(restored, token: alice)) == [0, 1, 3, 5])
        #expect(allowed(outcomes(restored, token: bob)) == [7, 8, 11, 12])
        #expect(allowed(outcomes(restored, token: carol)) == [])
        #expect(allowed(outcomes(restored, token: root)) == Array(Self.checks.indices))
        #expect(throws: Never.self) { try restored.auth.checkAdmin(token: root) }
        #expect(throws: AuthError.permissionDenied) { try restored.auth.checkAdmin(token: alice) }

        let info = try Store.inspectSnapshot(from: source(bytes))
        #expect(info.hasAuth && info.totalBytes == bytes.count && info.revision == kvRevision)
    }

    /// A store whose auth was never touched writes the exact bytes of the version-1 format before auth
    /// was saved (the docs' worked example), and that file still loads.
    @Test func storeWithoutAuthWritesTheSameBytesAsBefore() throws {
        let store = Store()
        try store.put("a", "1")
        let bytes = try save(store)
        let expected = assemble(revision: 2, [0x01, 0x01, 0x61, 0x01, 0x00, 0x02, 0x00, 0x02, 0x01, 0x00, 0x01, 0x31, 0xff, 0x01, 0x01, 0x00])
        #expect(bytes == expected)
        #expect(try Store.inspectSnapshot(from: source(bytes)).hasAuth == false)
        let restored = try Store.restore(from: source(expected))
        #expect(try restored.get("a")?.valueString == "1")
        #expect(restored.auth.contents == AuthStore.Contents())
    }

    /// The auth example of docs/SNAPSHOT.md, byte for byte.
    @Test func documentedAuthExample() throws {
        let store = Store()
        try store.put("a", "1")
        try store.auth.addUser("root", password: nil)
        try store.auth.enable()
        let key: [UInt8] = [0x01, 0x01, 0x61, 0x01, 0x00, 0x02, 0x00, 0x02, 0x01, 0x00, 0x01, 0x31]
        let auth: [UInt8] = [0x03, 0x01, 0x03]
            + [0x01] + lengthPrefixed("root") + [0x01] + lengthPrefixed("root") + [0x00]
            + [0x01] + lengthPrefixed("root") + [0x00]
        #expect(try save(store) == assemble(revision: 2, key + auth + [0xff, 0x01, 0x01, 0x00]))
    }

    @Test func authRecordSitsBetweenTheLeasesAndTheEndRecord() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let store = Store(configuration: configuration(clock))
        try populateKeys(store)
        let without = try save(store)
        try addAuth(to: store)
        let with = try save(store)
        // The end record here is 4 bytes: the tag and three one-byte counts.
        let endOffset = without.count - 40 - 4
        #expect(without[endOffset] == 0xff)
        #expect(Array(with[..<endOffset]) == Array(without[..<endOffset]), "keys and leases are written as before")
        #expect(with[endOffset] == SnapshotFormat.authRecord)
        #expect(Array(with[(with.count - 44)..<(with.count - 40)]) == Array(without[endOffset..<(endOffset + 4)]), "the end record is unchanged")
    }

    /// Auth changed and changed back still differs from a fresh store (its revision moved), so it is saved.
    @Test func authRevisionIsKeptEvenWithNoUsersLeft() throws {
        let store = Store(configuration: StoreConfiguration(passwordHashIterations: 1))
        try store.auth.addUser("u", password: nil)
        try store.auth.deleteUser("u")
        #expect(store.auth.contents.isEmpty && store.auth.revision == 3)
        let bytes = try save(store)
        #expect(try Store.inspectSnapshot(from: source(bytes)).hasAuth)
        #expect(try Store.restore(from: source(bytes)).auth.revision == 3)
    }

    /// Contents an app builds and loads itself save and restore too: a user given a role twice holds it once.
    @Test func loadedContentsRoundTrip() throws {
        let store = Store()
        let user = AuthStore.User(name: "u", roles: ["b", "a", "b"], password: nil)
        #expect(user.roles == ["a", "b"])
        store.auth.load(AuthStore.Contents(enabled: false, revision: 5, users: [user], roles: [AuthStore.Role(name: "a", permissions: [])]))
        let restored = try Store.restore(from: source(try save(store)))
        #expect(restored.auth.contents == store.auth.contents)
    }

    @Test func authIsCapturedWhenTheCursorIsMade() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let store = Store(configuration: configuration(clock))
        try populateKeys(store)
        try addAuth(to: store)
        let expected = store.auth.contents
        let cursor = try SnapshotCursor(store: store)
        try store.auth.addUser("late", password: "x")
        try store.auth.changePassword("alice", to: "new-pw")
        try store.auth.grantRole("range", to: "carol")
        store.auth.disable()
        var bytes: [UInt8] = []
        while let chunk = cursor.next(maxBytes: 64) { bytes += chunk }
        let restored = try Store.restore(configuration: configuration(clock), from: source(bytes))
        #expect(restored.auth.contents == expected)
        #expect(restored.auth.isEnabled)
        #expect(!restored.auth.userNames().contains("late"))
        #expect(throws: Never.self) { try restored.auth.authenticate(name: "alice", password: "alice-pw") }
        #expect(throws: AuthError.authenticationFailed) { try restored.auth.authenticate(name: "alice", password: "new-pw") }
    }

    /// Every truncation and every single-byte change of a file holding an auth record is refused.
    @Test func corruptionIsAlwaysRejected() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let store = Store(configuration: configuration(clock))
        try populateKeys(store)
        let authStart = try save(store).count - 44
        try addAuth(to: store)
        let bytes = try save(store)
        let authEnd = bytes.count - 44
        #expect(bytes[authStart] == SnapshotFormat.authRecord && authEnd - authStart > 100)
        var rng = SeededGenerator(seed: 17)
        for length in 0..<bytes.count {
            #expect(throws: SnapshotError.self, "truncated to \(length)") { try Store.restore(from: source(Array(bytes[..<length]))) }
        }
        for position in 0..<bytes.count {
            var damaged = bytes
            damaged[position] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(throws: SnapshotError.self, "flip at \(position)") { try Store.restore(from: source(damaged)) }
            if (authStart..<authEnd).contains(position) {
                // Without the checksum a change may pass as other valid contents, but never crashes the
                // reader or makes it allocate beyond the file.
                _ = try? Store.restore(skipHashCheck: true, from: source(damaged))
            }
        }
        #expect(throws: SnapshotError.self) { try Store.restore(from: source(bytes + [0])) }
    }

    @Test func aSecondAuthRecordIsRefused() throws {
        let record: [UInt8] = [0x03, 0x00, 0x02, 0x00, 0x00]   // disabled, auth revision 2, no users, no roles
        let one = try Store.restore(from: source(assemble(record + [0xff, 0, 0, 0])))
        #expect(one.auth.revision == 2 && !one.auth.isEnabled)
        #expect(throws: SnapshotError.corrupt(offset: 69, reason: "a second auth record (the first is at byte 64)")) {
            try Store.restore(from: source(assemble(record + record + [0xff, 0, 0, 0])))
        }
    }

    @Test func anUnknownPermissionKindIsRefused() throws {
        // One role "r" with one permission of kind 3 on key "k"; the kind byte is at 64 + 5 + 2 + 1.
        let record: [UInt8] = [0x03, 0x00, 0x02, 0x00, 0x01] + lengthPrefixed("r") + [0x01, 0x03] + lengthPrefixed("k") + [0x00]
        let expected = SnapshotError.corrupt(offset: 72, reason: "unknown permission kind 3 in role \"r\" (0 read, 1 write, 2 readwrite)")
        #expect(throws: expected) { try Store.restore(from: source(assemble(record + [0xff, 0, 0, 0]))) }
        #expect(throws: expected) { try Store.inspectSnapshot(from: source(assemble(record + [0xff, 0, 0, 0]))) }
        var valid = record
        valid[72 - 64] = 0x02
        let restored = try Store.restore(from: source(assemble(valid + [0xff, 0, 0, 0])))
        #expect(try restored.auth.role("r").permissions == [Permission(kind: .readwrite, key: b("k"))])
    }

    /// A user's roles may name roles the file does not hold (etcd grants `root` implicitly); the hash
    /// is kept byte for byte.
    @Test func handWrittenRecordLoads() throws {
        let hash: [UInt8] = [0x01, 0x02, 0xaa, 0xbb, 0x05, 0x02, 0xcc, 0xdd]   // salt aa bb, 5 iterations, digest cc dd
        let record: [UInt8] = [0x03, 0x01, 0x09, 0x01] + lengthPrefixed("root") + [0x02] + lengthPrefixed("ghost") + lengthPrefixed("root") + hash + [0x00]
        let restored = try Store.restore(from: source(assemble(record + [0xff, 0, 0, 0])))
        #expect(restored.auth.isEnabled && restored.auth.revision == 9)
        let root = try restored.auth.user("root")
        #expect(root.roles == ["ghost", "root"])
        #expect(root.password == PasswordHash(salt: [0xaa, 0xbb], iterations: 5, digest: [0xcc, 0xdd]))
        #expect(restored.auth.roleNames() == [])
    }

    @Test func malformedAuthRecordsAreRefused() throws {
        let head: [UInt8] = [0x03, 0x00, 0x02]   // tag, disabled, auth revision 2
        let end: [UInt8] = [0xff, 0, 0, 0]
        func user(_ name: String, roles: [String] = [], password: [UInt8] = [0]) -> [UInt8] {
            lengthPrefixed(name) + [UInt8(roles.count)] + roles.flatMap(lengthPrefixed) + password
        }
        func role(_ name: String, permissions: [UInt8] = [0]) -> [UInt8] { lengthPrefixed(name) + permissions }
        /// A file that ends with `body` (no trailer), so the reader meets the end of the file there.
        func endOfFile(_ body: [UInt8]) -> [UInt8] { Array(assemble(body).dropLast(40)) }
        let cases: [(String, [UInt8], String)] = [
            ("enabled flag", assemble([0x03, 0x02, 0x02, 0x00, 0x00] + end), "byte 65: unknown auth flags 2"),
            ("auth revision", assemble([0x03, 0x00, 0x00, 0x00, 0x00] + end), "byte 66: auth revision 0"),
            ("user order", assemble(head + [2] + user("b") + user("a") + [0] + end), "user \"a\" is repeated or out of order (after \"b\")"),
            ("repeated user", assemble(head + [2] + user("a") + user("a") + [0] + end), "user \"a\" is repeated or out of order"),
            ("canonically equal users", assemble(head + [2] + user("\u{e9}") + user("e\u{301}") + [0] + end), "is repeated or out of order"),
            ("repeated role of a user", assemble(head + [1] + user("a", roles: ["x", "x"]) + [0] + end), "role \"x\" of user \"a\" is repeated or out of order"),
            ("empty user name", assemble(head + [1] + user("") + [0] + end), "byte 68: a user name is empty"),
            ("UTF-8", assemble(head + [1, 1, 0xff, 0, 0, 0] + end), "byte 68: a user name is not valid UTF-8"),
            ("password flag", assemble(head + [1] + user("a", password: [2]) + [0] + end), "unknown password flag 2 for user \"a\""),
            ("iterations", assemble(head + [1] + user("a", password: [1, 0, 0, 1, 0xcc]) + [0] + end), "password hash of user \"a\" has 0 iterations"),
            ("empty digest", assemble(head + [1] + user("a", password: [1, 0, 5, 0]) + [0] + end), "a password digest is empty"),
            ("salt length", assemble(head + [1] + user("a", password: [1, 0xd0, 0x0f]) + end), "the length of a password salt 2000 is out of range"),
            ("role order", assemble(head + [0, 2] + role("b") + role("a") + end), "role \"a\" is repeated or out of order (after \"b\")"),
            ("empty role name", assemble(head + [0, 1] + role("") + end), "a role name is empty"),
            ("permission kind", assemble(head + [0, 1] + role("r", permissions: [1, 0xff, 1, 0x6b, 0]) + end), "unknown permission kind 255"),
            ("permission key length", assemble(head + [0, 1] + role("r", permissions: [1, 0, 0x81, 0x80, 0x80, 0x08]) + end),
             "the length of a permission key 16777217 is out of range"),
            ("user count", assemble(head + [0xff, 0xff, 0xff, 0xff, 0x0f] + end), "a user count 4294967295 is out of range"),
            // Counts and lengths the file cannot hold end in truncation, without allocating for them.
            ("many users", endOfFile(head + [0xff, 0xff, 0xff, 0xff, 0x07]), "truncated at byte 72 (expected the length of a user name)"),
            ("long name", endOfFile(head + [1, 0xff, 0xff, 0xff, 0x07]), "(expected a user name)"),
            ("key after auth", assemble(head + [0, 0] + [0x01, 0x01, 0x61, 0x01, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x01, 0x31] + end),
             "byte 69: key record after the auth record"),
            ("lease after auth", assemble(head + [0, 0] + [0x02, 0x02, 0x05, 0x00] + end), "byte 69: lease record after the auth record"),
        ]
        for (name, file, message) in cases {
            let error = #expect(throws: SnapshotError.self, "\(name)") { try Store.restore(from: source(file)) }
            #expect(error.map { "\($0)".contains(message) } == true, "\(name): \(error.map { "\($0)" } ?? "accepted")")
        }
    }

    /// Random users, roles, grants and revocations survive a round trip with identical checks.
    @Test(arguments: Array(1...6) as [UInt64])
    func randomAuthRoundTrips(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        let original = Store(configuration: StoreConfiguration(clock: clock, passwordHashIterations: 1))
        try original.put("k", "v")
        let auth = original.auth
        let users = ["root", "u1", "u2", "u3", "\u{e9}"]
        let roles = ["root", "r1", "r2", "r3"]
        var passwords: [String: String] = [:]
        func randomKey() -> [UInt8] { (0..<Int.random(in: 1...2, using: &rng)).map { _ in UInt8.random(in: 0x61...0x63, using: &rng) } }
        for _ in 0..<150 {
            let user = users.randomElement(using: &rng)!
            let role = roles.randomElement(using: &rng)!
            switch Int.random(in: 0..<11, using: &rng) {
            case 0, 1:
                let password = Bool.random(using: &rng) ? "pw\(Int.random(in: 0..<100, using: &rng))" : nil
                if (try? auth.addUser(user, password: password)) != nil { passwords[user] = password }
            case 2:
                if (try? auth.deleteUser(user)) != nil { passwords[user] = nil }
            case 3:
                try? auth.addRole(role)
            case 4:
                try? auth.deleteRole(role)
            case 5, 6:
                let key = randomKey()
                let rangeEnd: [UInt8] = [[], [0], randomKey()].randomElement(using: &rng)!
                let kind = Permission.Kind(rawValue: Int.random(in: 0...2, using: &rng))!
                try? auth.grantPermission(Permission(kind: kind, key: key, rangeEnd: rangeEnd), to: role)
            case 7:
                try? auth.grantRole(role, to: user)
            case 8:
                try? auth.revokeRole(role, from: user)
            case 9:
                let password = "new\(Int.random(in: 0..<100, using: &rng))"
                if (try? auth.changePassword(user, to: password)) != nil { passwords[user] = password }
            default:
                if Bool.random(using: &rng) { try? auth.enable() } else { auth.disable() }
            }
        }
        let bytes = try save(original)
        let restored = try Store.restore(configuration: StoreConfiguration(clock: clock), from: source(bytes, step: 33))
        #expect(restored.auth.contents == original.auth.contents, "seed \(seed)")
        #expect(restored.auth.revision == original.auth.revision, "seed \(seed)")
        #expect(restored.auth.isEnabled == original.auth.isEnabled, "seed \(seed)")
        #expect(restored.revision == original.revision, "seed \(seed)")
        let checks = (0..<30).map { _ in
            (key: randomKey(), rangeEnd: [[], [0], randomKey()].randomElement(using: &rng)!, write: Bool.random(using: &rng))
        }
        for (user, password) in passwords.sorted(by: { $0.key < $1.key }) {
            let a = Result { () throws(AuthError) in try original.auth.authenticate(name: user, password: password) }
            let b = Result { () throws(AuthError) in try restored.auth.authenticate(name: user, password: password) }
            switch (a, b) {
            case (.success(let a), .success(let b)):
                #expect(outcomes(restored, token: b, checks: checks) == outcomes(original, token: a, checks: checks), "seed \(seed) user \(user)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "seed \(seed) user \(user)")
            default:
                Issue.record("seed \(seed) user \(user): logging in differs (\(a) vs \(b))")
            }
        }
    }
}
