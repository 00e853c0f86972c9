import KVProtocol
import KVStore

/// Why a call to the server failed.
public enum BackendError: Error, Equatable {
    /// The server refused the request; the message is etcd's text (`etcdserver: …`).
    case server(String)
    /// No answer: connection refused, dial or command timeout (etcdctl: `context deadline exceeded`).
    case unavailable
    /// No endpoint could be dialed, or its TLS handshake failed; gRPC's transport error
    /// (`Error while dialing dial tcp 127.0.0.1:2379: connect: connection refused`,
    /// `authentication handshake failed: x509: certificate signed by unknown authority`).
    /// etcdctl still ends with `context deadline exceeded`, after a log line naming the cause.
    case unreachable(String)
    /// Anything else (a malformed reply, a closed connection).
    case failure(String)

    public var message: String {
        switch self {
        case .server(let m), .failure(let m): m
        case .unavailable, .unreachable: "context deadline exceeded"
        }
    }

    /// The message as etcdctl shows it for a maintenance call (snapshot, hash): etcd's maintenance API
    /// refuses non-root users with its auth package's own error, which gRPC reports as code Unknown.
    public var maintenanceMessage: String {
        if self == .server(AuthError.permissionDenied.description) {
            return "rpc error: code = Unknown desc = auth: permission denied"
        }
        return message
    }
}

/// What kvctl needs from a server connection. The real one wraps `KVClient`; tests use an in-process store.
public protocol Backend: AnyObject {
    var endpoint: String { get }
    func call(_ request: Request) throws(BackendError) -> Response
    func watch(_ request: WatchRequest) throws(BackendError) -> BackendWatch
    /// Streams a snapshot of the server's store into `chunk`, piece by piece, in the format the server
    /// sends (kvserver's over its line protocol; etcd's backend database over gRPC). Throws
    /// `BackendError`s and whatever `chunk` throws.
    func snapshot(_ chunk: ([UInt8]) throws -> Void) throws
    func close()
}

extension Backend {
    /// Over kvserver's line protocol: the snapshot cursor, one chunk per call.
    public func snapshot(_ chunk: ([UInt8]) throws -> Void) throws {
        guard case .snapshot = try call(.snapshot(SnapshotRequest())) else {
            throw BackendError.failure("unexpected reply to SNAPSHOT")
        }
        while true {
            guard case .snapshotChunk(let next) = try call(.snapshotNext) else {
                throw BackendError.failure("unexpected reply to SNAPSHOT-NEXT")
            }
            try chunk(next.data)
            if next.done { return }
        }
    }
}

/// One open watch.
public protocol BackendWatch: AnyObject {
    /// The next response; nil when `timeoutNanoseconds` passed without one.
    func next(timeoutNanoseconds: Int64?) throws(BackendError) -> WatchResponse?
    func requestProgress() throws(BackendError)
    func cancel()
}

/// Opens a backend on endpoints with the dial and command timeouts (nanoseconds), logged in with the
/// credentials when there are any, over TLS as `security` says. A login the server refuses fails the
/// connect (etcdctl then exits 2); a server with auth disabled accepts the connection without one, as
/// etcd's client does.
public typealias Connector = (_ endpoints: [String], _ dialTimeout: Int64, _ commandTimeout: Int64,
                              _ credentials: Credentials?, _ security: TransportSecurity) throws(BackendError) -> Backend

extension Backend {
    func range(_ r: RangeRequest) throws(BackendError) -> RangeResponse {
        guard case .range(let x) = try call(.range(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func put(_ r: PutRequest) throws(BackendError) -> PutResponse {
        guard case .put(let x) = try call(.put(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func deleteRange(_ r: DeleteRangeRequest) throws(BackendError) -> DeleteRangeResponse {
        guard case .deleteRange(let x) = try call(.deleteRange(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func txn(_ r: TxnRequest) throws(BackendError) -> TxnResponse {
        guard case .txn(let x) = try call(.txn(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func compact(_ r: CompactionRequest) throws(BackendError) -> CompactionResponse {
        guard case .compact(let x) = try call(.compact(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func status() throws(BackendError) -> StatusResponse {
        guard case .status(let x) = try call(.status) else { throw .failure("unexpected reply") }
        return x
    }
    func memberList() throws(BackendError) -> MemberListResponse {
        guard case .memberList(let x) = try call(.memberList) else { throw .failure("unexpected reply") }
        return x
    }
    func hashKV(_ revision: Int64) throws(BackendError) -> HashKVResponse {
        guard case .hashKV(let x) = try call(.hashKV(HashKVRequest(revision: revision))) else { throw .failure("unexpected reply") }
        return x
    }
    func leaseGrant(ttl: Int64, id: Int64 = 0, keys: [[UInt8]] = []) throws(BackendError) -> LeaseGrantResponse {
        guard case .leaseGrant(let x) = try call(.leaseGrant(LeaseGrantRequest(ttl: ttl, id: id, keys: keys))) else { throw .failure("unexpected reply") }
        return x
    }
    func leasedPut(_ r: PutRequest, ttl: Int64) throws(BackendError) -> LeasedPutResponse {
        guard case .leasedPut(let x) = try call(.leasedPut(LeasedPutRequest(put: r, ttl: ttl))) else { throw .failure("unexpected reply") }
        return x
    }
    func leaseRevoke(_ id: Int64) throws(BackendError) -> LeaseRevokeResponse {
        guard case .leaseRevoke(let x) = try call(.leaseRevoke(id)) else { throw .failure("unexpected reply") }
        return x
    }
    func leaseKeepAlive(_ id: Int64) throws(BackendError) -> LeaseKeepAliveResponse {
        guard case .leaseKeepAlive(let x) = try call(.leaseKeepAlive(id)) else { throw .failure("unexpected reply") }
        return x
    }
    func leaseTimeToLive(_ id: Int64, keys: Bool) throws(BackendError) -> LeaseTimeToLiveResponse {
        guard case .leaseTimeToLive(let x) = try call(.leaseTimeToLive(LeaseTimeToLiveRequest(id: id, keys: keys))) else { throw .failure("unexpected reply") }
        return x
    }
    func leaseLeases() throws(BackendError) -> LeaseLeasesResponse {
        guard case .leaseList(let x) = try call(.leaseList) else { throw .failure("unexpected reply") }
        return x
    }
    func auth(_ r: AuthRequest) throws(BackendError) -> AuthResponse {
        guard case .auth(_, let x) = try call(.auth(r)) else { throw .failure("unexpected reply") }
        return x
    }
    func health() throws(BackendError) -> HealthResponse {
        guard case .health(let x) = try call(.health) else { throw .failure("unexpected reply") }
        return x
    }
}
