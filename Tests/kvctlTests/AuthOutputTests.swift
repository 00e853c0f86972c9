import Testing
import KVStore
@testable import KVCtlCore

/// `user`, `role` and `auth` outputs in every format, byte for byte as etcdctl 3.4.23 printed them
/// against etcd 3.4.23 (reference §2.12, and transcripts recorded with the same commands; the IDs are
/// this backend's: cluster 12141362416698482028, member 8439526027888870300, raft term 2). Each case
/// runs on a fresh store holding users root and bob, and roles reader and writer granted to bob.
@Suite struct AuthOutputTests {
    static let json = "{\"header\":{\"cluster_id\":12141362416698482028,\"member_id\":8439526027888870300,\"revision\":1,\"raft_term\":2}"
    static let fields = "\"ClusterID\" : 12141362416698482028\n\"MemberID\" : 8439526027888870300\n\"Revision\" : 1\n\"RaftTerm\" : 2\n"
    static let readerSimple = "Role reader\nKV Read:\n\t[/app/, /app0) (prefix /app/)\n\t[a, z)\n\texact\nKV Write:\n\t[/from, <open ended>\n\t[a, z)\n"
    static let readerPerms = "\"perm\":[{\"key\":\"L2FwcC8=\",\"range_end\":\"L2FwcDA=\"},{\"permType\":1,\"key\":\"L2Zyb20=\",\"range_end\":\"AA==\"},{\"permType\":2,\"key\":\"YQ==\",\"range_end\":\"eg==\"},{\"key\":\"ZXhhY3Q=\"}]"
    static let readerFields = """
        "PermType" :  READ
        "Key" : "/app/"
        "RangeEnd" : "/app0"
        "PermType" :  WRITE
        "Key" : "/from"
        "RangeEnd" : "\\x00"
        "PermType" :  READWRITE
        "Key" : "a"
        "RangeEnd" : "z"
        "PermType" :  READ
        "Key" : "exact"
        "RangeEnd" : ""

        """
    static let table = "Error: table not supported as output format\n"
    static let noFields = "Error: fields not supported as output format\n"

    /// root (no roles yet), bob with reader and writer; reader holds the reference's four permissions.
    static func seeded() -> StoreBackend {
        let backend = StoreBackend(store: Store(configuration: StoreConfiguration(passwordHashIterations: 100)))
        for line in ["user add root:rootpw", "user add bob:bobpw", "role add reader", "role add writer",
                     "role grant-permission reader read /app/ --prefix", "role grant-permission reader read exact",
                     "role grant-permission reader readwrite a z", "role grant-permission reader write /from --from-key",
                     "user grant-role bob reader", "user grant-role bob writer"] {
            let r = kvctl(line, backend: backend)
            precondition(r.code == 0, "seeding \(line): \(r.err)")
        }
        return backend
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var line: String
        var stdin = ""
        var out = ""
        var err = ""
        var code: Int32 = 0
        var testDescription: String { line }
    }

    static let userCases: [Case] = [
        Case(line: "user add carol:c", out: "User carol created\n"),
        Case(line: "user add carol:c -w json", out: json + "}\n"),
        Case(line: "user add carol:c -w fields", out: fields),
        Case(line: "user add carol:c -w table", err: table, code: 4),
        Case(line: "user add bob:other", err: "Error: etcdserver: user name already exists\n", code: 1),
        Case(line: "user add carol --new-user-password=cp", out: "User carol created\n"),
        Case(line: "user add carol:c --new-user-password=other", out: "User carol:c created\n"),
        Case(line: "user add carol --no-password", out: "User carol created\n"),
        Case(line: "user add carol:c --no-password", out: "User carol:c created\n"),
        Case(line: "user list", out: "bob\nroot\n"),
        Case(line: "user list -w json", out: json + ",\"users\":[\"bob\",\"root\"]}\n"),
        Case(line: "user list -w fields", err: noFields, code: 4),
        Case(line: "user list -w table", err: table, code: 4),
        Case(line: "user get bob", out: "User: bob\nRoles: reader writer\n"),
        Case(line: "user get root", out: "User: root\nRoles:\n"),
        Case(line: "user get bob -w json", out: json + ",\"roles\":[\"reader\",\"writer\"]}\n"),
        Case(line: "user get root -w json", out: json + "}\n"),
        Case(line: "user get bob -w fields", err: noFields, code: 4),
        Case(line: "user get bob -w table", err: table, code: 4),
        Case(line: "user get nobody", err: "Error: etcdserver: user name not found\n", code: 1),
        Case(line: "user get bob --detail", out: "User: bob\n\n" + readerSimple + "\nRole writer\nKV Read:\nKV Write:\n"),
        Case(line: "user get bob --detail -w json", out: "User: bob\n\n" + json + "," + readerPerms + "}\n\n" + json + "}\n"),
        Case(line: "user get bob --detail -w fields", out: "User: bob\n\n" + fields + readerFields + "\n" + fields),
        Case(line: "user get bob --detail -w table", out: "User: bob\n\n", err: table, code: 4),
        Case(line: "user get root --detail -w table", out: "User: root\n"),
        Case(line: "user grant-role root reader", out: "Role reader is granted to user root\n"),
        Case(line: "user grant-role root reader -w json", out: json + "}\n"),
        Case(line: "user grant-role root reader -w fields", out: fields),
        Case(line: "user grant-role root reader -w table", err: table, code: 4),
        Case(line: "user grant-role root nosuch", err: "Error: etcdserver: role name not found\n", code: 1),
        Case(line: "user grant-role nobody reader", err: "Error: etcdserver: user name not found\n", code: 1),
        Case(line: "user revoke-role bob writer", out: "Role writer is revoked from user bob\n"),
        Case(line: "user revoke-role bob writer -w json", out: json + "}\n"),
        Case(line: "user revoke-role bob writer -w fields", out: fields),
        Case(line: "user revoke-role bob writer -w table", err: table, code: 4),
        Case(line: "user revoke-role bob nosuch", err: "Error: etcdserver: role is not granted to the user\n", code: 1),
        Case(line: "user revoke-role nobody reader", err: "Error: etcdserver: user name not found\n", code: 1),
        Case(line: "user delete bob", out: "User bob deleted\n"),
        Case(line: "user delete bob -w json", out: json + "}\n"),
        Case(line: "user delete bob -w fields", out: fields),
        Case(line: "user delete bob -w table", err: table, code: 4),
        Case(line: "user delete nobody", err: "Error: etcdserver: user name not found\n", code: 1),
        Case(line: "user passwd bob --interactive=false", stdin: "np\n", out: "Password updated\n"),
        Case(line: "user passwd bob --interactive=false -w json", stdin: "np\n", out: json + "}\n"),
        Case(line: "user passwd bob --interactive=false -w fields", stdin: "np\n", out: fields),
        Case(line: "user passwd bob --interactive=false -w table", stdin: "np\n", err: table, code: 4),
        Case(line: "user passwd nobody --interactive=false", stdin: "np\n", err: "Error: etcdserver: user name not found\n", code: 1),
        Case(line: "user list -w bogus", err: "Error: unsupported output format\n", code: 4),
        Case(line: "user list -w protobuf", err: "Error: protobuf not supported as output format\n", code: 4),
    ]

    static let roleCases: [Case] = [
        Case(line: "role add r3", out: "Role r3 created\n"),
        Case(line: "role add r3 -w json", out: json + "}\n"),
        Case(line: "role add r3 -w fields", out: fields),
        Case(line: "role add r3 -w table", err: table, code: 4),
        Case(line: "role add reader", err: "Error: etcdserver: role name already exists\n", code: 1),
        Case(line: "role get reader", out: readerSimple),
        Case(line: "role get reader -w json", out: json + "," + readerPerms + "}\n"),
        Case(line: "role get reader -w fields", out: fields + readerFields),
        Case(line: "role get reader -w table", err: table, code: 4),
        Case(line: "role get writer", out: "Role writer\nKV Read:\nKV Write:\n"),
        Case(line: "role get writer -w json", out: json + "}\n"),
        Case(line: "role get writer -w fields", out: fields),
        Case(line: "role get nosuch", err: "Error: etcdserver: role name not found\n", code: 1),
        Case(line: "role list", out: "reader\nwriter\n"),
        Case(line: "role list -w json", out: json + ",\"roles\":[\"reader\",\"writer\"]}\n"),
        Case(line: "role list -w fields", out: fields + "\"Roles\" : \"reader\" \"writer\"\n"),
        Case(line: "role list -w table", err: table, code: 4),
        Case(line: "role grant-permission writer read /app/ --prefix", out: "Role writer updated\n"),
        Case(line: "role grant-permission writer READ k -w json", out: json + "}\n"),
        Case(line: "role grant-permission writer ReadWrite a z -w fields", out: fields),
        Case(line: "role grant-permission writer write k -w table", err: table, code: 4),
        Case(line: "role grant-permission nosuch read k", err: "Error: etcdserver: role name not found\n", code: 1),
        Case(line: "role revoke-permission reader /app/ --prefix", out: "Permission of range [/app/, /app0) is revoked from role reader\n"),
        Case(line: "role revoke-permission reader exact", out: "Permission of key exact is revoked from role reader\n"),
        Case(line: "role revoke-permission reader /from --from-key", out: "Permission of range [/from, <open ended> is revoked from role reader\n"),
        Case(line: "role revoke-permission reader a z", out: "Permission of range [a, z) is revoked from role reader\n"),
        Case(line: "role revoke-permission reader exact -w json", out: json + "}\n"),
        Case(line: "role revoke-permission reader a z -w fields", out: fields),
        Case(line: "role revoke-permission reader a z -w table", err: table, code: 4),
        Case(line: "role revoke-permission reader nokey", err: "Error: etcdserver: permission is not granted to the role\n", code: 1),
        Case(line: "role revoke-permission nosuch a", err: "Error: etcdserver: role name not found\n", code: 1),
        Case(line: "role delete writer", out: "Role writer deleted\n"),
        Case(line: "role delete writer -w json", out: json + "}\n"),
        Case(line: "role delete writer -w fields", out: fields),
        Case(line: "role delete writer -w table", err: table, code: 4),
        Case(line: "role delete nosuch", err: "Error: etcdserver: role name not found\n", code: 1),
    ]

    /// `auth enable|disable` print their line whatever `-w` says (an unknown name still fails first);
    /// `auth status` is etcdctl 3.5's (simple and json only).
    static let authCases: [Case] = [
        Case(line: "auth disable", out: "Authentication Disabled\n"),
        Case(line: "auth disable -w json", out: "Authentication Disabled\n"),
        Case(line: "auth disable -w protobuf", out: "Authentication Disabled\n"),
        Case(line: "auth disable -w bogus", err: "Error: unsupported output format\n", code: 4),
        Case(line: "auth enable -w table", out: "Authentication Enabled\n"),
        Case(line: "auth status", out: "Authentication Status: false\nAuthRevision: 11\n"),
        Case(line: "auth status -w json", out: json + ",\"authRevision\":11}\n"),
        Case(line: "auth status -w fields", err: noFields, code: 4),
        Case(line: "auth status -w table", err: table, code: 4),
    ]

    @Test(arguments: userCases + roleCases + authCases)
    func output(_ c: Case) {
        let r = kvctl(c.line, stdin: c.stdin, backend: Self.seeded())
        #expect(r.out == c.out)
        #expect(r.err == c.err)
        #expect(r.code == c.code)
    }

    /// The result of a write, read back: a write happens even when the format then fails (exit 4).
    @Test func writesHappenBeforeTheFormatIsRefused() {
        let b = Self.seeded()
        #expect(kvctl("user add dave:d -w table", backend: b).code == 4)
        #expect(kvctl("user list", backend: b).out == "bob\ndave\nroot\n")
        #expect(kvctl("role revoke-permission reader a z -w table", backend: b).code == 4)
        #expect(kvctl("role get reader", backend: b).out ==
            "Role reader\nKV Read:\n\t[/app/, /app0) (prefix /app/)\n\texact\nKV Write:\n\t[/from, <open ended>\n")
    }

    /// An empty key is sent as "\0": bare with no flags, `[\0, <open ended>` with `--prefix`; the revoke
    /// message shows the key as typed (empty).
    @Test func emptyKeyPermissions() {
        let b = Self.seeded()
        #expect(kvctl(["role", "grant-permission", "writer", "READ", "", "--prefix"], backend: b).out == "Role writer updated\n")
        #expect(kvctl(["role", "grant-permission", "writer", "write", "", "ignored-end"], backend: b).out == "Role writer updated\n")
        #expect(kvctl("role get writer", backend: b).out == "Role writer\nKV Read:\n\t[\0, <open ended>\nKV Write:\n\t\0\n")
        // Both start at "\0"; their order is the server's (etcd keeps the order of granting for equal keys).
        let json = kvctl("role get writer -w json", backend: b).out
        #expect(json.contains("{\"key\":\"AA==\",\"range_end\":\"AA==\"}") && json.contains("{\"permType\":1,\"key\":\"AA==\"}"))
        #expect(kvctl(["role", "revoke-permission", "writer", "", "--from-key"], backend: b).out ==
            "Permission of range [, <open ended> is revoked from role writer\n")
        #expect(kvctl(["role", "revoke-permission", "writer", ""], backend: b).out ==
            "Permission of key  is revoked from role writer\n")
        #expect(kvctl("role get writer", backend: b).out == "Role writer\nKV Read:\nKV Write:\n")
    }

    /// Go's escaping in json (`<>&`) and fields (`%q`) applies to names too.
    @Test func namesAreEscapedAsGoDoes() {
        let b = Self.seeded()
        #expect(kvctl(["user", "add", "x<y>&z:pw"], backend: b).out == "User x<y>&z created\n")
        #expect(kvctl("user list -w json", backend: b).out == Self.json + ",\"users\":[\"bob\",\"root\",\"x\\u003cy\\u003e\\u0026z\"]}\n")
        #expect(kvctl(["role", "add", "q\"r"], backend: b).code == 0)
        #expect(kvctl("role list -w fields", backend: b).out == Self.fields + "\"Roles\" : \"q\\\"r\" \"reader\" \"writer\"\n")
    }

    /// `--prefix` on a key ending in 0xff bytes: the end drops them (etcd's GetPrefixRangeEnd).
    @Test func prefixRangeEnd() {
        #expect(Display.prefixRangeEnd(Array("/app/".utf8)) == Array("/app0".utf8))
        #expect(Display.prefixRangeEnd([0x61, 0xff]) == [0x62])
        #expect(Display.prefixRangeEnd([0xff, 0xff]) == [0])
        #expect(Display.prefixRangeEnd([]) == [0])
    }
}
