import KVCtlCore
import KVProtocol
import KVStore
import Foundation

/// A backend over an in-process store: the kvctl code path without a network.
final class StoreBackend: Backend {
    let store: Store
    let endpoint: String
    let header: (UInt64, UInt64, UInt64)
    /// The session's auth token (see `StoreBackend+Auth`): nil until logged in.
    var token: String?

    init(store: Store, endpoint: String = "127.0.0.1:2379") {
        self.store = store
        self.endpoint = endpoint
        self.header = (12141362416698482028, 8439526027888870300, 2)
    }

    func stamp(_ h: ResponseHeader) -> ResponseHeader {
        ResponseHeader(clusterID: header.0, memberID: header.1, revision: h.revision, raftTerm: header.2)
    }

    func call(_ request: Request) throws(BackendError) -> Response {
        do {
            try authorize(request)
            switch request {
            case .range(let r): var x = try store.range(r); x.header = stamp(x.header); return .range(x)
            case .put(let r): var x = try store.put(r); x.header = stamp(x.header); return .put(x)
            case .deleteRange(let r): var x = try store.deleteRange(r); x.header = stamp(x.header); return .deleteRange(x)
            case .txn(let r): var x = try store.txn(r); x.header = stamp(x.header); return .txn(x)
            case .compact(let r): return .compact(try store.compact(r))
            case .memberList:
                return .memberList(MemberListResponse(header: ResponseHeader(clusterID: header.0, memberID: header.1, revision: 0, raftTerm: header.2),
                    members: [Member(id: header.1, name: "refa", peerURLs: ["http://127.0.0.1:24101"], clientURLs: ["http://127.0.0.1:24001"])]))
            case .status:
                return .status(StatusResponse(header: stamp(ResponseHeader(revision: store.revision)), version: "3.4.23",
                    dbSize: 24576, dbSizeInUse: 16384, leader: header.1, raftIndex: 4, raftTerm: 2, raftAppliedIndex: 4))
            case .health: return .health(HealthResponse(health: true))
            case .hashKV: return .hashKV(HashKVResponse(header: stamp(ResponseHeader(revision: store.revision)), hash: 1084519789, compactRevision: -1))
            case .leaseGrant(let r):
                var x = try store.grantLease(ttl: r.ttl, id: r.id, attaching: r.keys); x.header = stamp(x.header); return .leaseGrant(x)
            case .leasedPut(let r):
                let (lease, put) = try store.put(r.put, ttl: r.ttl)
                var p = put; p.header = stamp(p.header)
                return .leasedPut(LeasedPutResponse(lease: lease, put: p))
            case .leaseRevoke(let id): var x = try store.revokeLease(id); x.header = stamp(x.header); return .leaseRevoke(x)
            case .leaseKeepAlive(let id): var x = try store.keepAliveLease(id); x.header = stamp(x.header); return .leaseKeepAlive(x)
            case .leaseTimeToLive(let r): var x = store.leaseTimeToLive(r.id, keys: r.keys); x.header = stamp(x.header); return .leaseTimeToLive(x)
            case .leaseList: var x = store.leases(); x.header = stamp(x.header); return .leaseList(x)
            case .auth(let r): return .auth(r.kind, try answer(r))
            default: throw BackendError.failure("unsupported")
            }
        } catch let error as StoreError {
            throw .server(error.description)
        } catch let error as AuthError {
            throw .server(error.description)
        } catch let error as BackendError {
            throw error
        } catch {
            throw .failure("\(error)")
        }
    }

    var scriptedWatch: [WatchResponse] = []
    func watch(_ request: WatchRequest) throws(BackendError) -> BackendWatch { ScriptedWatch(scriptedWatch) }
    func close() {}
}

final class ScriptedWatch: BackendWatch {
    var responses: [WatchResponse]
    init(_ responses: [WatchResponse]) { self.responses = responses }
    func next(timeoutNanoseconds: Int64?) throws(BackendError) -> WatchResponse? {
        responses.isEmpty ? nil : responses.removeFirst()
    }
    func requestProgress() throws(BackendError) {}
    func cancel() {}
}

struct RunResult {
    var out: String
    var err: String
    var code: Int32
}

/// Runs kvctl's code path on a backend (nil: every connection fails).
func kvctl(_ args: [String], stdin: String = "", env: [String: String] = [:], backend: Backend? = nil,
           program: String = "etcdctl") -> RunResult {
    let console = Console.captured(input: Array(stdin.utf8))
    let code = KVCtl.run(args, program: program, environment: env, console: console, connector: { _, _, _, credentials, _ throws(BackendError) in
        guard let backend else { throw BackendError.unavailable }
        guard let credentials, let store = backend as? StoreBackend else { return backend }
        return try store.session(credentials)
    })
    return RunResult(out: console.capturedOut, err: console.capturedErr, code: code)
}

func kvctl(_ line: String, stdin: String = "", env: [String: String] = [:], backend: Backend? = nil) -> RunResult {
    kvctl(line.split(separator: " ").map(String.init), stdin: stdin, env: env, backend: backend)
}

/// A golden file under Tests/kvctlTests/Golden.
func golden(_ name: String) -> String {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    return (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? "<missing \(name)>"
}
