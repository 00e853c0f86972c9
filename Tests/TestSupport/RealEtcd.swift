import Glibc
import KVPosix

/// A real etcd 3.4 (the reference, when installed) on free loopback ports, stopped by PID: the partner
/// of differential tests. Tests check `RealEtcd.isInstalled` and skip with a printed reason otherwise.
public final class RealEtcd: Sendable {
    public let endpoint: String
    public let pid: String
    public let log: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether `etcd` and `etcdctl` are on the PATH.
    public static var isInstalled: Bool {
        ShellCommand.succeeds("command -v etcd && command -v etcdctl")
    }

    /// A loopback port nothing listens on right now.
    public static func freePort() throws -> Int {
        let socket = try Socket.listen(on: try SocketAddress(parsing: "127.0.0.1:0"))
        defer { try? socket.close() }
        return Int(try socket.localAddress().port)
    }

    /// Starts etcd on `dataDir` and waits (bounded: 15 s) until `endpoint health` answers.
    public init(dataDir: String, name: String = "default", peerPort: Int? = nil) throws {
        let client = try RealEtcd.freePort()
        let peer = try peerPort ?? RealEtcd.freePort()
        endpoint = "127.0.0.1:\(client)"
        log = dataDir + ".log"
        let run = try ShellCommand.run("""
            etcd --name \(name) --data-dir \(dataDir) --listen-client-urls http://\(endpoint) --advertise-client-urls http://\(endpoint) \
            --listen-peer-urls http://127.0.0.1:\(peer) --initial-advertise-peer-urls http://127.0.0.1:\(peer) \
            --initial-cluster \(name)=http://127.0.0.1:\(peer) >\(log) 2>&1 & echo $!
            """, seconds: 10)
        pid = String(run.output.filter(\.isNumber))
        for _ in 0..<60 {
            if ShellCommand.succeeds("etcdctl --endpoints=\(endpoint) --command-timeout=2s endpoint health") { return }
            usleep(250_000)
        }
        let tail = (try? ShellCommand.run("tail -5 \(log)").output) ?? ""
        stop()
        throw Failure(description: "etcd did not become healthy: \(tail)")
    }

    /// Stops etcd (SIGTERM, then SIGKILL after 5 s).
    public func stop() {
        _ = try? ShellCommand.run("kill \(pid); for i in $(seq 50); do kill -0 \(pid) 2>/dev/null || exit 0; sleep 0.1; done; kill -9 \(pid)")
    }

    /// `etcdctl` against this etcd.
    public func ctl(_ arguments: String, input: String = "") throws -> ShellCommand {
        try ShellCommand.run("ETCDCTL_API=3 etcdctl --endpoints=\(endpoint) --command-timeout=10s \(arguments)", input: input, seconds: 30)
    }
}
