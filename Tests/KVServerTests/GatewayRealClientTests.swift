import Glibc
import KVPosix
import TestSupport
import Testing
@testable import KVServer

/// Real clients of etcd's JSON gateway against kvserver: etcd 3.4 itself answering the same curl
/// requests (`scripts/compat-gateway.sh`), and etcd3gw. Each skips, saying why, when what it needs is
/// not installed.
@Suite(.serialized) struct GatewayRealClientTests {
    private static let root = ShellCommand.repositoryRoot

    private static func skip(_ reason: String) {
        print("GatewayRealClientTests: skipped — \(reason)")
    }

    /// The kvserver binary this test run built (the tests' own server runs in-process; the script needs
    /// a process).
    private static var kvserver: String { root + "/.build/debug/kvserver" }

    /// etcd 3.4 and kvserver answer the same requests with the same bodies, after masking what
    /// legitimately differs; the documented differences are counted as known.
    @Test func sameAnswersAsEtcd() throws {
        guard ShellCommand.succeeds("command -v etcd && command -v curl") else {
            return Self.skip("etcd or curl is not installed (apt-get install etcd-server curl)")
        }
        guard access(Self.kvserver, X_OK) == 0 else { return Self.skip("\(Self.kvserver) is not built (swift build)") }
        let run = try ShellCommand.run("KVSERVER='\(Self.kvserver)' '\(Self.root)/scripts/compat-gateway.sh'", seconds: 240)
        print(run.output)
        #expect(run.status == 0)
        #expect(run.output.contains(" 0 unexpected"))
    }

    @Test func etcd3gw() throws {
        guard ShellCommand.succeeds("/usr/bin/python3 -c 'import etcd3gw.client'") else {
            return Self.skip("etcd3gw is not installed (apt-get install python3-etcd3gw)")
        }
        let server = try TestServer()
        defer { server.stop() }
        let run = try ShellCommand.run("/usr/bin/python3 '\(Self.root)/scripts/clients/etcd3gw_check.py' \(server.endpoint)", seconds: 120)
        print(run.output)
        #expect(run.status == 0)
        #expect(run.output.contains("etcd3gw: 0 failure(s)"))
    }
}
