import KVPosix
import KVProtocol
import KVStore

/// The line protocol's ``FuzzTransport``: fuzz connections are ``LineLane``s, the healthy client is a
/// ``LineClient`` on its own connection that sends `PING` and a one-key `GET` per probe.
///
/// - ``setUp()`` writes the seed keys (every key of ``FuzzVocabulary`` and the healthy client's key) and,
///   in ``FuzzMode/auth(rootPassword:)``, adds `root`, enables auth and logs the healthy client in.
/// - ``probe()`` fails when either answer does not come within `probeTimeout`, or is not `OK` (in auth
///   mode a lost login is renewed first, and an auth error is still an answer: fuzzed requests on other
///   connections disable and re-enable auth, which ends every login).
/// - ``housekeep()`` deletes every key, writes the seed keys again, revokes every lease and compacts
///   history, so a run of millions of cases keeps a small store.
/// - ``tearDown()`` turns auth off again and deletes `root` (auth mode).
public final class LineTransport: FuzzTransport {
    public let endpoint: String
    public let mode: FuzzMode
    /// Bound on each answer the healthy client waits for, and on connecting.
    public let probeTimeout: Double
    /// The key the healthy client reads.
    public let healthKey = Array("fuzz-healthy".utf8)
    private var health: LineClient?
    private var nonce: UInt64

    public init(endpoint: String, mode: FuzzMode = .standard, probeTimeout: Double = 10, nonce: UInt64 = 0x5eed) {
        self.endpoint = endpoint
        self.mode = mode
        self.probeTimeout = probeTimeout
        self.nonce = nonce
    }

    public func setUp() throws(FuzzTransportError) {
        let client = try healthyClient()
        if case .auth(let rootPassword) = mode {
            try expectOK(client.call(line(.auth(.userAdd(name: "root", password: rootPassword)))), "USER-ADD root")
            try expectOK(client.call(line(.auth(.enable))), "AUTH-ENABLE")
            try logIn(client)
        }
        try seed(client)
    }

    public func openLane(_ index: Int) throws(FuzzTransportError) -> LineLane {
        nonce = nonce &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let lane = try LineLane(endpoint: endpoint, index: index, nonce: nonce >> 16, connectTimeoutSeconds: probeTimeout)
        // In auth mode every lane but one in four runs as root; the others run without a login.
        if case .auth(let rootPassword) = mode, index % 4 != 3 {
            try lane.send(line(.authenticate(AuthenticateRequest(name: "root", password: rootPassword))),
                          deadline: Posix.monotonicNanoseconds() + UInt64(probeTimeout * 1e9))
        }
        return lane
    }

    public func probe() throws(FuzzTransportError) -> [UInt64] {
        let client = try healthyClient()
        var latencies: [UInt64] = []
        for (request, what) in [(Request.ping, "PING"), (.range(RangeRequest(key: healthKey)), "GET")] {
            let start = Posix.monotonicNanoseconds()
            var reply: String
            do {
                reply = try client.call(line(request))
            } catch {
                health = nil
                throw FuzzTransportError(error.kind, "the healthy client's \(what): \(error.description)")
            }
            latencies.append(Posix.monotonicNanoseconds() - start)
            // Fuzzed AUTH-DISABLE / AUTH-ENABLE on other connections end every login, and may do so again
            // between a new login and the next request: log in again a few times, then take an auth error
            // as the prompt answer it is.
            var attempts = 0
            while case .auth = mode, Self.lostLogin(reply), attempts < 3 {
                attempts += 1
                try logIn(client)
                reply = try client.call(line(request))
            }
            if case .auth = mode, Self.lostLogin(reply) { continue }
            guard reply == "OK" || reply.hasPrefix("OK ") else {
                throw FuzzTransportError(.badReply, "the healthy client's \(what) was answered \(reply.prefix(200))")
            }
        }
        return latencies
    }

    public func housekeep() throws(FuzzTransportError) {
        let client = try healthyClient()
        if case .auth = mode { try logIn(client) }
        let deleted = try client.call(line(.deleteRange(DeleteRangeRequest(key: [0], rangeEnd: [0]))))
        try expectOK(deleted, "DEL every key")
        let leases = try client.call(line(.leaseList))
        let ids = leases.split(separator: " ").enumerated().compactMap { index, word -> Int64? in
            guard index > 0, leases.split(separator: " ")[index - 1] == "LEASE", let id = UInt64(word, radix: 16) else { return nil }
            return Int64(bitPattern: id)
        }
        if !ids.isEmpty {
            try client.send(ids.flatMap { line(.leaseRevoke($0)) })
            for _ in ids { _ = try client.line() }  // a lease may have expired meanwhile: any answer will do
        }
        try seed(client)
        if let revision = Self.field("rev", in: try client.call(line(.status))) {
            let compacted = try client.call(line(.compact(CompactionRequest(revision: revision))))
            // Fuzzed COMPACTs may have gone further already.
            guard compacted.hasPrefix("OK") || compacted.contains("COMPACTED") else {
                throw FuzzTransportError(.badReply, "COMPACT \(revision) was answered \(compacted.prefix(200))")
            }
        }
    }

    public func tearDown() {
        guard case .auth = mode, let client = try? healthyClient() else { return }
        _ = try? logIn(client)
        _ = try? client.call(line(.auth(.disable)))
        _ = try? client.call(line(.auth(.userDelete("root"))))
    }

    // MARK: - Helpers

    /// The healthy client's connection, opened on first use and again after a failure.
    private func healthyClient() throws(FuzzTransportError) -> LineClient {
        if let health { return health }
        let client = try LineClient(endpoint: endpoint, timeoutSeconds: probeTimeout)
        health = client
        return client
    }

    /// Writes the seed keys: every key of the vocabulary (short values) and the healthy client's key.
    private func seed(_ client: LineClient) throws(FuzzTransportError) {
        let keys = FuzzVocabulary.keys.filter { !$0.isEmpty } + [healthKey]
        try client.send(keys.flatMap { line(.put(PutRequest(key: $0, value: Array("seed".utf8)))) })
        for key in keys { try expectOK(try client.line(), "seeding \(String(decoding: key, as: UTF8.self))") }
    }

    private func logIn(_ client: LineClient) throws(FuzzTransportError) {
        guard case .auth(let rootPassword) = mode else { return }
        let reply = try client.call(line(.authenticate(AuthenticateRequest(name: "root", password: rootPassword))))
        // A fuzzed AUTH-DISABLE leaves nothing to log in to, which is fine.
        guard reply.hasPrefix("OK") || reply.contains("AUTH_NOT_ENABLED") else {
            throw FuzzTransportError(.badReply, "the healthy client could not log in as root: \(reply.prefix(200))")
        }
    }

    static func lostLogin(_ reply: String) -> Bool {
        reply.hasPrefix("ERR USER_EMPTY") || reply.hasPrefix("ERR INVALID_AUTH_TOKEN") || reply.hasPrefix("ERR PERMISSION_DENIED")
    }

    private func expectOK(_ reply: String, _ what: String) throws(FuzzTransportError) {
        guard reply.hasPrefix("OK") else { throw FuzzTransportError(.badReply, "\(what) was answered \(reply.prefix(200))") }
    }

    private func line(_ request: Request) -> [UInt8] { RequestEncoder.encode(request) }

    /// A decimal field `name=N` of a reply line.
    static func field(_ name: String, in reply: String) -> Int64? {
        for word in reply.split(separator: " ") where word.hasPrefix(name + "=") {
            return Int64(word.dropFirst(name.count + 1))
        }
        return nil
    }
}
