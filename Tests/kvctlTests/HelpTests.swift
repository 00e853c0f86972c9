import Testing
@testable import KVCtlCore

/// Usage texts, byte for byte against etcdctl 3.4.23's (Golden/help, captured from the real tool).
@Suite struct HelpTests {
    @Test(arguments: ["", "get", "put", "del", "txn", "watch", "compaction", "version", "lease", "lease grant",
                      "lease revoke", "lease timetolive", "lease list", "lease keep-alive", "member", "member list",
                      "endpoint", "endpoint status", "endpoint health", "endpoint hashkv", "snapshot", "snapshot save",
                      "snapshot status", "snapshot restore", "user", "role", "auth", "help",
                      "user add", "user delete", "user get", "user list", "user passwd", "user grant-role",
                      "user revoke-role", "role add", "role delete", "role get", "role list", "role grant-permission",
                      "role revoke-permission", "auth enable", "auth disable"])
    func helpMatchesEtcdctl(command: String) {
        let words = command.split(separator: " ").map(String.init)
        let file = command.isEmpty ? "help/root.txt" : "help/\(words.joined(separator: "_")).txt"
        let result = kvctl(words + ["--help"])
        #expect(result.code == 0)
        #expect(result.err == "")
        #expect(result.out == golden(file))
    }

    @Test func helpCommandAndShortFlag() {
        #expect(kvctl(["help", "get"]).out == golden("help/get.txt"))
        #expect(kvctl(["get", "-h"]).out == golden("help/get.txt"))
        #expect(kvctl([]).out == golden("help/root.txt"))
        let bogus = kvctl(["help", "bogus"])
        #expect(bogus.err == "Unknown help topic [`bogus`]\n")
        #expect(bogus.out == golden("help/root.txt"))
    }

    @Test func groupWithoutSubcommandPrintsHelp() {
        for args in [["lease"], ["lease", "frob"]] {
            let r = kvctl(args)
            #expect(r.code == 0)
            #expect(r.out == golden("help/lease.txt"))
        }
    }

    @Test func kvctlNameInTexts() {
        let r = kvctl(["version"], program: "kvctl")
        #expect(r.out == "kvctl version: 3.4.23\nAPI version: 3.4\nkvserver version: 0.1.0 (etcd API 3.5.0)\n")
        #expect(kvctl(["get", "--help"], program: "kvctl").out.contains("\tkvctl get [options] <key> [range_end] [flags]\n"))
    }
}
