import Testing
import KVStore
@testable import KVCtlCore

/// Arguments, password prompts and `--user` handling of the auth commands, with etcdctl 3.4.23's texts
/// and exit codes. Argument errors come before any connection, so most cases need no backend.
@Suite struct AuthArgumentTests {
    @Test(arguments: [
        (["user", "add"], "Error: user add command requires user name as its argument\n", Int32(128)),
        (["user", "add", "a", "b"], "Error: user add command requires user name as its argument\n", 128),
        (["user", "add", ":pw"], "Error: empty user name is not allowed\n", 128),
        (["user", "delete"], "Error: user delete command requires user name as its argument\n", 128),
        (["user", "get"], "Error: user get command requires user name as its argument\n", 128),
        (["user", "list", "x"], "Error: user list command requires no arguments\n", 128),
        (["user", "passwd"], "Error: user passwd command requires user name as its argument\n", 128),
        (["user", "grant-role", "bob"], "Error: user grant command requires user name and role name as its argument\n", 128),
        (["user", "revoke-role", "bob"], "Error: user revoke-role requires user name and role name as its argument\n", 128),
        (["role", "add"], "Error: role add command requires role name as its argument\n", 128),
        (["role", "delete"], "Error: role delete command requires role name as its argument\n", 128),
        (["role", "get"], "Error: role get command requires role name as its argument\n", 128),
        (["role", "list", "x"], "Error: role list command requires no arguments\n", 128),
        (["role", "grant-permission", "w", "read"],
         "Error: role grant command requires role name, permission type, and key [endkey] as its argument\n", 128),
        (["role", "grant-permission", "w", "bogus", "k"], "Error: invalid permission type: bogus\n", 128),
        (["role", "grant-permission", "w", "read", "k", "z", "--prefix"], "Error: unexpected endkey argument with --prefix flag\n", 128),
        (["role", "grant-permission", "w", "read", "k", "z", "--from-key"], "Error: unexpected endkey argument with --from-key flag\n", 128),
        (["role", "grant-permission", "w", "read", "k", "z", "--from-key", "--prefix"], "Error: unexpected endkey argument with --prefix flag\n", 128),
        (["role", "grant-permission", "w", "read", "k", "--from-key", "--prefix"], "Error: --from-key and --prefix flags are mutually exclusive\n", 128),
        (["role", "grant-permission", "w", "read", "", "--from-key", "--prefix"], "Error: --from-key and --prefix flags are mutually exclusive\n", 128),
        (["role", "revoke-permission", "w"],
         "Error: role revoke-permission command requires role name and key [endkey] as its argument\n", 128),
        (["role", "revoke-permission", "w", "a", "z", "--prefix"], "Error: unexpected endkey argument with --prefix flag\n", 128),
        (["auth", "enable", "x"], "Error: auth enable command does not accept any arguments\n", 128),
        (["auth", "disable", "x"], "Error: auth disable command does not accept any arguments\n", 128),
        (["auth", "status", "x"], "Error: auth status command does not accept any arguments\n", 128),
        (["user", "list"], "Error: context deadline exceeded\n", 1),
        (["--user=root:pw", "user", "list"], "Error: context deadline exceeded\n", 2),
    ])
    func argumentErrors(args: [String], stderr: String, code: Int32) {
        let r = kvctl(args)
        #expect(r.err == stderr)
        #expect(r.code == code)
        #expect(r.out == "")
    }

    // MARK: Password prompts (stdin not a terminal: lines are read as typed)

    static func store() -> StoreBackend {
        StoreBackend(store: Store(configuration: StoreConfiguration(passwordHashIterations: 100)))
    }

    static func password(_ backend: StoreBackend, _ user: String) -> PasswordHash? {
        (try? backend.store.auth.user(user))?.password
    }

    @Test(arguments: [
        ("pw1\npw1\n", "pw1"),
        ("  spaced pw  \r\n  spaced pw\n", "spaced pw"),
        ("pw1\npw1", "pw1"),
    ])
    func userAddAsksTwice(stdin: String, password: String) {
        let b = Self.store()
        let r = kvctl(["user", "add", "eve"], stdin: stdin, backend: b)
        #expect(r.out == "Password of eve: \nType password of eve again for confirmation: \nUser eve created\n")
        #expect(r.err == "" && r.code == 0)
        #expect(Self.password(b, "eve")?.matches(password) == true)
    }

    @Test(arguments: [
        ("pw1\npw2\n", "Password of eve: \nType password of eve again for confirmation: \n", "Error: given passwords are different\n"),
        ("", "Password of eve: \n", "Error: empty password\n"),
        ("\npw\n", "Password of eve: \n", "Error: empty password\n"),
    ])
    func userAddPromptErrors(stdin: String, out: String, err: String) {
        let b = Self.store()
        let r = kvctl(["user", "add", "eve"], stdin: stdin, backend: b)
        #expect(r.out == out && r.err == err && r.code == 128)
        #expect(kvctl("user list", backend: b).out == "", "nothing was created")
    }

    /// `--interactive=false`: the first word of the first line, as `fmt.Scanf("%s")`.
    @Test(arguments: [("one two\n", "one"), ("  pw\n", "pw"), ("pw", "pw")])
    func nonInteractiveReadsOneWord(stdin: String, password: String) {
        let b = Self.store()
        let r = kvctl(["user", "add", "frank", "--interactive=false"], stdin: stdin, backend: b)
        #expect(r.out == "User frank created\n" && r.code == 0)
        #expect(Self.password(b, "frank")?.matches(password) == true)
        #expect(kvctl(["user", "passwd", "frank", "--interactive=false"], stdin: "new pw\n", backend: b).out == "Password updated\n")
        #expect(Self.password(b, "frank")?.matches("new") == true)
    }

    @Test func passwdAsksTwice() {
        let b = Self.store()
        _ = kvctl("user add bob:old", backend: b)
        let r = kvctl(["user", "passwd", "bob"], stdin: "new\nnew\n", backend: b)
        #expect(r.out == "Password of bob: \nType password of bob again for confirmation: \nPassword updated\n")
        #expect(Self.password(b, "bob")?.matches("new") == true)
        let different = kvctl(["user", "passwd", "bob"], stdin: "a\nb\n", backend: b)
        #expect(different.err == "Error: given passwords are different\n" && different.code == 128)
    }

    @Test func scanWordAndTrim() {
        for (input, word) in [("one two\n", "one"), ("\t x\n", "x"), ("\n", ""), ("", ""), ("w", "w")] {
            #expect(Console.captured(input: Array(input.utf8)).scanWord() == word)
        }
        #expect(Console.trimmingSpace(" \t a b \r\n") == "a b")
        #expect(Console.trimmingSpace("\u{a0}x\u{85}") == "x")
    }

    // MARK: --user and --password

    @Test(arguments: [
        ("", "", "", nil as Credentials?, ""),
        ("", "pw", "", nil, ""),
        ("root:pw", "", "", Credentials(name: "root", password: "pw"), ""),
        ("root:pw:x", "", "", Credentials(name: "root", password: "pw:x"), ""),
        ("root", "pw", "", Credentials(name: "root", password: "pw"), ""),
        // etcdctl 3.4 takes the whole --user as the name when --password is given.
        ("root:pw", "other", "", Credentials(name: "root:pw", password: "other"), ""),
        (":pw", "", "", nil, ""),
        ("root:", "", "", nil, ""),
        ("root", "", "secret\n", Credentials(name: "root", password: "secret"), "Password: \n"),
        ("root", "", "", nil, "Password: \n"),
    ])
    func credentials(user: String, password: String, stdin: String, expected: Credentials?, prompt: String) {
        let console = Console.captured(input: Array(stdin.utf8))
        #expect(Credentials.resolve(user: user, password: password, console: console) == expected)
        #expect(console.capturedOut == prompt)
    }

    /// Through a whole run on the in-process backend: flags, environment variables and the prompt.
    @Test func userFlagsAndEnvironment() {
        let b = Self.store()
        _ = kvctl("user add root:rootpw", backend: b)
        #expect(kvctl("auth enable", backend: b).out == "Authentication Enabled\n")
        let none = kvctl("user list", backend: b)
        #expect(none.err == "Error: etcdserver: user name is empty\n" && none.code == 1)
        #expect(kvctl("--user=root:rootpw user list", backend: b).out == "root\n")
        #expect(kvctl("--user root --password rootpw user list", backend: b).out == "root\n")
        #expect(kvctl("user list", env: ["ETCDCTL_USER": "root:rootpw"], backend: b).out == "root\n")
        #expect(kvctl("user list", env: ["ETCDCTL_USER": "root", "ETCDCTL_PASSWORD": "rootpw"], backend: b).out == "root\n")
        let prompted = kvctl("--user root user list", stdin: "rootpw\n", backend: b)
        #expect(prompted.out == "Password: \nroot\n" && prompted.code == 0)
        let empty = kvctl("--user root user list", backend: b)
        #expect(empty.out == "Password: \n" && empty.err == "Error: etcdserver: user name is empty\n" && empty.code == 1)
        let wrong = kvctl("--user=root:wrong user list", backend: b)
        #expect(wrong.err == "Error: etcdserver: authentication failed, invalid user ID or password\n" && wrong.code == 2)
        let both = kvctl("--user=root:rootpw --password=rootpw user list", backend: b)
        #expect(both.err == "Error: etcdserver: authentication failed, invalid user ID or password\n" && both.code == 2)
        #expect(kvctl("--user=root:rootpw auth status", backend: b).out.hasPrefix("Authentication Status: true\nAuthRevision: "))
        #expect(kvctl("--user=root:rootpw auth disable", backend: b).out == "Authentication Disabled\n")
        // With auth disabled a login is not needed, so a wrong one does not matter.
        let ignored = kvctl("--user=root:wrong user list", backend: b)
        #expect(ignored.out == "root\n" && ignored.code == 0)
    }
}
