import Testing
@testable import KVCtlCore

/// Argument handling: exit codes and error texts as etcdctl's, without a server.
@Suite struct ArgumentTests {
    @Test(arguments: [
        ("get", "Error: get command needs one argument as key and an optional argument as range_end\n", Int32(128)),
        ("get a --prefix --from-key", "Error: `--prefix` and `--from-key` cannot be set at the same time, choose one\n", 128),
        ("get a b --prefix", "Error: too many arguments, only accept one argument when `--prefix` or `--from-key` is set\n", 128),
        ("get a --sort-by=bogus", "Error: bad sort target bogus\n", 4),
        ("get a --order=up", "Error: bad sort order up\n", 4),
        ("get a --consistency=x", "Error: unknown consistency flag \"x\"\n", 4),
        ("-w bogus get foo", "Error: unsupported output format\n", 4),
        ("-w JSON get foo", "Error: unsupported output format\n", 4),
        ("get foo -w protobuf", "Error: protobuf not supported as output format\n", 4),
        ("put", "Error: put command needs 1 argument and input from stdin or 2 arguments\n", 128),
        ("put k v --lease=zz", "Error: bad lease ID (strconv.ParseInt: parsing \"zz\": invalid syntax), expecting ID in Hex\n", 128),
        ("put k v --ignore-value", "Error: put command needs only 1 argument when 'ignore-value' is set\n", 128),
        ("del", "Error: del command needs one argument as key and an optional argument as range_end\n", 128),
        ("del a b c", "Error: del command needs one argument as key and an optional argument as range_end\n", 128),
        ("compaction", "Error: compaction command needs 1 argument\n", 128),
        ("compaction abc", "Error: strconv.ParseInt: parsing \"abc\": invalid syntax\n", 1),
        ("txn x", "Error: txn command does not accept argument\n", 128),
        ("watch", "Error: bad number of arguments\n", 128),
        ("watch a --", "Error: bad number of arguments (found separator --, but no commands)\n", 128),
        ("watch a b --prefix", "Error: `range_end` and `--prefix` are mutually exclusive\n", 128),
        ("lease grant", "Error: lease grant command needs TTL argument\n", 128),
        ("lease grant abc", "Error: bad TTL (strconv.ParseInt: parsing \"abc\": invalid syntax)\n", 128),
        ("lease revoke", "Error: lease revoke command needs 1 argument\n", 128),
        ("lease timetolive", "Error: lease timetolive command needs lease ID as argument\n", 128),
        ("lease timetolive zz", "Error: bad lease ID arg (strconv.ParseInt: parsing \"zz\": invalid syntax), expecting ID in Hex\n", 128),
        ("lease keep-alive", "Error: lease keep-alive command needs lease ID as argument\n", 128),
        ("snapshot save", "Error: snapshot save expects one argument\n", 128),
        ("snapshot status", "Error: snapshot status requires exactly one argument\n", 128),
        ("snapshot restore", "Error: snapshot restore requires exactly one argument\n", 128),
        ("get foo", "Error: context deadline exceeded\n", 1),
    ])
    func errors(line: String, stderr: String, code: Int32) {
        let r = kvctl(line)
        #expect(r.err == stderr)
        #expect(r.code == code)
        #expect(r.out == "")
    }

    @Test func unknownCommand() {
        let r = kvctl("frobnicate")
        #expect(r.code == 1)
        #expect(r.out == "")
        #expect(r.err == "Error: unknown command \"frobnicate\" for \"etcdctl\"\nRun 'etcdctl --help' for usage.\nError: unknown command \"frobnicate\" for \"etcdctl\"\n")
        let m = kvctl("m")
        let hint = "Error: unknown command \"m\" for \"etcdctl\"\n\nDid you mean this?\n\tmove-leader\n\tmember\n\tmake-mirror\n\tmigrate\n\n"
        #expect(m.err == hint + "Run 'etcdctl --help' for usage.\n" + hint)
        #expect(kvctl("gte foo").err.contains("Did you mean this?\n\tget\n"))
    }

    @Test func unknownFlagPrintsUsage() {
        let r = kvctl("get --count-only foo")
        #expect(r.code == 1)
        #expect(r.out == golden("help/get.txt"))
        #expect(r.err == "Error: unknown flag: --count-only\n\nError: unknown flag: --count-only\n")
        #expect(kvctl("put k -v").err == "Error: unknown shorthand flag: 'v' in -v\n\nError: unknown shorthand flag: 'v' in -v\n")
        #expect(kvctl("get foo --rev abc").err.hasPrefix("Error: invalid argument \"abc\" for \"--rev\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax\n"))
        #expect(kvctl("--dial-timeout abc get foo").err.hasPrefix("Error: invalid argument \"abc\" for \"--dial-timeout\" flag: time: invalid duration \"abc\"\n"))
        #expect(kvctl("--version").err.hasPrefix("Error: unknown flag: --version\n"))
    }

    @Test func prefixMatchingAndFlagsAnywhere() {
        #expect(kvctl("ver").out == "etcdctl version: 3.4.23\nAPI version: 3.4\n")
        #expect(kvctl("version x y").code == 0)
        let tree = KVCtl.tree(program: "etcdctl")
        guard case .run(let command, let parsed) = Parser.parse(["-w", "json", "g", "foo", "--limit", "2", "--prefix"], root: tree) else {
            Issue.record("expected a run"); return
        }
        #expect(command.name == "get")
        #expect(parsed.positional == ["foo"])
        #expect(parsed.flags.string("write-out") == "json")
        #expect(parsed.flags.int64("limit") == 2)
        #expect(parsed.flags.bool("prefix"))
        guard case .run(let member, _) = Parser.parse(["mem", "li"], root: tree) else { Issue.record("mem li"); return }
        #expect(member.relativePath == "member list")
    }

    @Test func doubleDash() {
        let tree = KVCtl.tree(program: "etcdctl")
        guard case .run(_, let a) = Parser.parse(["put", "--", "-k", "v"], root: tree),
              case .run(_, let b) = Parser.parse(["put", "k", "--", "-v"], root: tree),
              case .run(_, let w) = Parser.parse(["watch", "foo", "--rev", "3", "--", "sh", "-c", "echo"], root: tree) else {
            Issue.record("parse failed"); return
        }
        #expect(a.positional == ["-k", "v"])
        #expect(b.positional == ["k", "-v"])
        #expect(w.positional == ["foo", "sh", "-c", "echo"])
        #expect(w.argsLenAtDash == 1)
        #expect(w.flags.int64("rev") == 3)
    }

    @Test func environmentVariables() {
        let conflict = kvctl(["--endpoints=127.0.0.1:24001", "get", "foo"], env: ["ETCDCTL_ENDPOINTS": "127.0.0.1:24099"])
        #expect(conflict.code == 1)
        #expect(conflict.err.hasSuffix(" C | pkg/flags: conflicting environment variable \"ETCDCTL_ENDPOINTS\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)\n"))
        let unknown = kvctl(["get", "foo"], env: ["ETCDCTL_PREFIX": "true"])
        #expect(unknown.err.contains(" W | pkg/flags: unrecognized environment variable ETCDCTL_PREFIX=true\n"))
        let json = kvctl(["get", "foo"], env: ["ETCDCTL_WRITE_OUT": "bogus"])
        #expect(json.err == "Error: unsupported output format\n")
        #expect(kvctl(["get", "foo"], env: ["KVCTL_WRITE_OUT": "bogus"]).code == 4)
        #expect(kvctl(["version"], env: ["ETCDCTL_API": "4"]).err == "unsupported API version 4\n")
        let watch = kvctl(["watch", "x"], env: ["ETCDCTL_WATCH_KEY": "k"])
        #expect(watch.err == "Error: bad number of arguments (found conflicting environment key)\n")
    }

    @Test func requestBuilding() throws {
        var flags = FlagValues()
        flags.set("consistency", "l", kind: .string)
        flags.set("prefix", "true", kind: .bool)
        let prefix = try GetCommand.request(["k/"], flags)
        #expect(prefix.key == Array("k/".utf8) && prefix.rangeEnd == Array("k0".utf8))
        let all = try GetCommand.request([""], flags)
        #expect(all.key == [0] && all.rangeEnd == [0])
        var sort = FlagValues()
        sort.set("consistency", "l", kind: .string)
        sort.set("sort-by", "create", kind: .string)
        let sorted = try GetCommand.request(["a"], sort)
        #expect(sorted.sortTarget == .create && sorted.sortOrder == .ascend)
        var putFlags = FlagValues()
        putFlags.set("lease", "0", kind: .string)
        let put = try PutCommand.request(["k"], putFlags, stdin: { Array("hello\n".utf8) })
        #expect(put.value == Array("hello\n".utf8))
    }

    /// `lease keep-alive` renews every TTL/3 seconds; the TTL is the server's, at any int64 value.
    static let renewals: [(ttl: Int64, nanoseconds: Int64)] = [
        (Int64.min, 1_000_000_000), (-1, 1_000_000_000), (0, 1_000_000_000), (6, 2_000_000_000),
        (9_000_000_000, 3_000_000_000_000_000_000), (Int64.max - 1, 3_000_000_000_000_000_000),
        (Int64.max, 3_000_000_000_000_000_000),
    ]

    @Test(arguments: renewals)
    func keepAliveIntervalFromAnyTTL(ttl: Int64, nanoseconds: Int64) {
        #expect(LeaseCommands.renewalInterval(ttl: ttl) == nanoseconds)
    }
}
