import EtcdWire
import HPACK
import KVPosix
import KVProtocol
import KVStore

/// A client of etcd's own gRPC API (etcd 3.x, or kvserver's gRPC front end) with the same typed
/// requests and responses as `KVClient`: what lets kvctl speak to a real etcd (`make-mirror` from or to
/// etcd, any command against an etcd endpoint).
///
///     let etcd = try EtcdGRPCClient(endpoints: ["127.0.0.1:2379"])
///     _ = try etcd.call(.put(PutRequest(key: Array("a".utf8), value: Array("1".utf8))))
///
/// One HTTP/2 connection, over TLS as for `KVClient` (ALPN `h2` offered). Unary calls and watches share
/// it; every call is bounded by the command timeout. A failed call throws `.server` with the server's
/// `grpc-message` (etcd's text, e.g. `etcdserver: mvcc: required revision has been compacted`).
/// Thread-safe: calls are serialized on the connection, waits are taken in short slices.
public final class EtcdGRPCClient: @unchecked Sendable {
    // @unchecked: all mutable state is behind the two mutexes.

    public let endpoint: String
    private let connection: PosixMutex<GRPCConnection>
    private let commandTimeout: Duration
    /// The token of the last login (the `token` metadata) and the credentials to renew it with.
    private let login = PosixMutex<(token: String?, credentials: KVClient.Credentials?)>((nil, nil))

    /// Connects to the first endpoint that accepts and speaks HTTP/2, as `KVClient.init` does.
    /// - Throws: `.connectionFailed`, `.handshakeFailed`, `.tlsConfiguration`; `.protocolError` when the
    ///   endpoint does not speak HTTP/2; `.server` when `credentials` are refused.
    public init(endpoints: [String], dialTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(5),
                credentials: KVClient.Credentials? = nil, tls: ClientTLS? = nil) throws(ClientError) {
        let deadline = Posix.deadline(afterNanoseconds: dialTimeout.nanoseconds)
        let stream = try ClientStream.dial(endpoints, tls: tls, timeoutNanoseconds: dialTimeout.nanoseconds, offerH2: true)
        let connected = GRPCConnection(stream: stream, authority: stream.endpoint)
        do {
            try connected.start(deadline: deadline)
        } catch where stream.tls != nil && error.kind == .closed {
            throw ClientError(kind: .handshakeFailed, description: error.description.tlsReason)
        }
        connection = PosixMutex(connected)
        endpoint = stream.endpoint
        self.commandTimeout = commandTimeout
        if let credentials { try authenticate(credentials) }
    }

    deinit { close() }

    /// Closes the connection; later calls fail with `.closed`. Idempotent.
    public func close() {
        connection.withLock { $0.close() }
    }

    /// Logs in; later calls carry the token. The credentials are kept to log in again when the token expires.
    /// - Throws: `.server` with etcd's `etcdserver: authentication failed, invalid user ID or password`
    ///   (or `etcdserver: authentication is not enabled`).
    public func authenticate(_ credentials: KVClient.Credentials) throws(ClientError) {
        let message = try unary(.authenticate, EtcdWire.encodeRequest(.request(.authenticate(
            AuthenticateRequest(name: credentials.name, password: credentials.password))))!.message, authenticated: false)
        let response: EtcdAuthenticateResponse
        do { response = try EtcdAuthenticateResponse(protobuf: message) } catch { throw malformed(.authenticate, error) }
        login.withLock { $0 = (response.token, credentials) }
    }

    /// One request, answered as kvserver's line protocol answers it. `.health` is answered as etcdctl
    /// checks health (a read of the key `health`, where a permission error still counts as healthy, and
    /// no raised alarm); `.leasedPut` is a grant and a put. Requests with no etcd call (`.hello`, `.ping`,
    /// the snapshot cursor) are refused with `.protocolError`: use `snapshot(to:)`.
    public func call(_ request: Request) throws(ClientError) -> Response {
        switch request {
        case .health: return .health(try health())
        case .leasedPut(let leased):
            guard case .leaseGrant(let grant) = try call(.leaseGrant(LeaseGrantRequest(ttl: leased.ttl))) else {
                throw ClientError(kind: .protocolError, description: "unexpected reply to LeaseGrant")
            }
            var put = leased.put
            put.lease = grant.id
            guard case .put(let response) = try call(.put(put)) else {
                throw ClientError(kind: .protocolError, description: "unexpected reply to Put")
            }
            return .leasedPut(LeasedPutResponse(lease: grant, put: response))
        case .leaseKeepAlive:
            // etcd answers a keep-alive of a lease it does not have with TTL 0; its client calls that
            // "requested lease not found", and so does this one.
            let response = try unaryResponse(request)
            if case .leaseKeepAlive(let renewed) = response, renewed.ttl <= 0 {
                throw ClientError(kind: .server, description: StoreError.leaseNotFound(id: renewed.id).description)
            }
            return response
        default:
            break
        }
        return try unaryResponse(request)
    }

    private func unaryResponse(_ request: Request) throws(ClientError) -> Response {
        guard let (method, message) = EtcdWire.encodeRequest(.request(request)), method != .watch, method != .snapshot else {
            throw ClientError(kind: .protocolError, description: "\(request.kind.verb) has no unary etcd call")
        }
        let reply = try unary(method, message)
        do {
            guard let response = try EtcdWire.decodeResponse(method, reply) else {
                throw ClientError(kind: .protocolError, description: "no typed response for \(method.path)")
            }
            return response
        } catch {
            throw malformed(method, error)
        }
    }

    /// Streams the server's snapshot (etcd's backend database, then its SHA-256, as etcd sends it) into
    /// `sink`, chunk by chunk. - Returns: the bytes received.
    /// - Throws: `.server`, `.timeout` when no chunk arrives within the command timeout, and whatever
    ///   `sink` throws, wrapped as `.closed`.
    public func snapshot(to sink: ([UInt8]) throws -> Void) throws(ClientError) -> Int64 {
        let id = try open(.snapshot)
        defer { connection.withLock { $0.cancel(id) } }
        try connection.withLock { (c) throws(ClientError) in
            try c.send(id, [], last: true, deadline: Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds))
        }
        var received: Int64 = 0
        while let message = try next(id, deadline: Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds), what: "Snapshot") {
            let chunk: EtcdSnapshotResponse
            do { chunk = try EtcdSnapshotResponse(protobuf: message) } catch { throw malformed(.snapshot, error) }
            received += Int64(chunk.blob.count)
            do { try sink(chunk.blob) } catch { throw ClientError(kind: .closed, description: "snapshot: \(error)") }
        }
        return received
    }

    /// Opens a watch (a Watch stream with one create request). The server's first response confirms it.
    /// - Throws: `.server` when the server refuses it (e.g. a compacted start revision is reported as a
    ///   canceled response instead, as etcd does).
    public func watch(_ request: WatchRequest) throws(ClientError) -> EtcdGRPCWatch {
        let id = try open(.watch)
        let watch = EtcdGRPCWatch(client: self, streamID: id)
        try watch.send(.request(.watch(request)))
        return watch
    }

    // MARK: Plumbing

    private func metadata() -> [HeaderField] {
        login.withLock { $0.token }.map { [HeaderField("token", $0)] } ?? []
    }

    func open(_ method: EtcdMethod) throws(ClientError) -> UInt32 {
        let headers = metadata()
        return try connection.withLock { (c) throws(ClientError) -> UInt32 in
            try c.open(method.path, metadata: headers, deadline: Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds))
        }
    }

    func send(_ id: UInt32, _ message: [UInt8], last: Bool) throws(ClientError) {
        try connection.withLock { (c) throws(ClientError) in
            try c.send(id, message, last: last, deadline: Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds))
        }
    }

    func cancel(_ id: UInt32) {
        connection.withLock { $0.cancel(id) }
    }

    /// The next message of a call by `deadline` (nil when the call ended OK); `.timeout` after it.
    func next(_ id: UInt32, deadline: UInt64?, what: String) throws(ClientError) -> [UInt8]? {
        let (message, ended) = try poll(id, deadline: deadline)
        if message != nil || ended { return message }
        throw ClientError(kind: .timeout, description: "command timed out waiting for the reply to \(what)")
    }

    /// The next message of a call, or neither when `deadline` passed first; `ended` once the call
    /// ended OK. Waits in short slices, so other threads' calls interleave.
    func poll(_ id: UInt32, deadline: UInt64?) throws(ClientError) -> (message: [UInt8]?, ended: Bool) {
        while true {
            let slice = min(deadline ?? UInt64.max, Posix.monotonicNanoseconds() &+ 50_000_000)
            let result = try connection.withLock { (c) throws(ClientError) in try c.nextMessage(id, until: slice) }
            if result.message != nil || result.ended { return result }
            if let deadline, Posix.monotonicNanoseconds() >= deadline { return (nil, false) }
        }
    }

    /// One unary call: the reply message. An expired token is renewed once with the kept credentials.
    private func unary(_ method: EtcdMethod, _ message: [UInt8], authenticated: Bool = true) throws(ClientError) -> [UInt8] {
        do {
            return try unaryOnce(method, message)
        } catch where authenticated && error.kind == .server && error.description == AuthError.invalidAuthToken.description {
            guard let credentials = login.withLock({ $0.credentials }) else { throw error }
            try authenticate(credentials)
            return try unaryOnce(method, message)
        }
    }

    private func unaryOnce(_ method: EtcdMethod, _ message: [UInt8]) throws(ClientError) -> [UInt8] {
        let id = try open(method)
        defer { cancel(id) }
        try send(id, message, last: true)
        let deadline = Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds)
        guard let reply = try next(id, deadline: deadline, what: method.path) else {
            throw ClientError(kind: .protocolError, description: "\(method.path): the server ended the call without a reply")
        }
        return reply
    }

    /// etcdctl's health check: a read of `health` answered (or refused for permission: the member
    /// still works), and no alarm raised.
    private func health() throws(ClientError) -> HealthResponse {
        do {
            _ = try call(.range(RangeRequest(key: Array("health".utf8))))
        } catch where error.kind == .server && error.description == AuthError.permissionDenied.description {
        }
        guard case .alarm(let alarms) = try call(.alarm(.list)) else {
            throw ClientError(kind: .protocolError, description: "unexpected reply to Alarm")
        }
        if let raised = alarms.alarms.first {
            return HealthResponse(health: false, reason: "Active Alarm(s): \(raised.alarm)")
        }
        return HealthResponse(health: true)
    }

    private func malformed(_ method: EtcdMethod, _ error: any Error) -> ClientError {
        if let error = error as? ClientError { return error }
        return ClientError(kind: .protocolError, description: "unparseable reply to \(method.path) from \(endpoint): \(error)")
    }
}

/// One watch over etcd's gRPC Watch stream: the responses of the watch it created, progress requests,
/// cancellation. As `ClientWatch` does for the line protocol.
public final class EtcdGRPCWatch: @unchecked Sendable {
    // @unchecked: the stream ID and client are immutable; the queue is behind the client's mutex.

    private let client: EtcdGRPCClient
    private let streamID: UInt32
    private let state = PosixMutex<(watchID: Int64?, finished: Bool)>((nil, false))

    init(client: EtcdGRPCClient, streamID: UInt32) {
        self.client = client
        self.streamID = streamID
    }

    deinit { client.cancel(streamID) }

    func send(_ call: EtcdCall) throws(ClientError) {
        guard let (_, message) = EtcdWire.encodeRequest(call) else { return }
        try client.send(streamID, message, last: false)
    }

    /// The watch's ID, once the server confirmed it.
    public var watchID: Int64? { state.withLock { $0.watchID } }

    /// The next response (the creation confirmation included), or nil when `timeout` passed without one.
    /// - Throws: `.closed` once the watch was canceled and its last response read.
    public func next(timeout: Duration?) throws(ClientError) -> WatchResponse? {
        if state.withLock({ $0.finished }) { throw ClientError(kind: .closed, description: "watch is closed") }
        let deadline = timeout.map { Posix.deadline(afterNanoseconds: $0.nanoseconds) }
        let (message, ended) = try client.poll(streamID, deadline: deadline)
        guard let message else {
            if ended {
                state.withLock { $0.finished = true }
                throw ClientError(kind: .closed, description: "watch stream ended by the server")
            }
            return nil
        }
        let response: WatchResponse
        do {
            guard case .watch(let decoded)? = try EtcdWire.decodeResponse(.watch, message) else {
                throw ClientError(kind: .protocolError, description: "unexpected reply on the Watch stream")
            }
            response = decoded
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(kind: .protocolError, description: "unparseable watch response: \(error)")
        }
        state.withLock { s in
            if s.watchID == nil && response.created { s.watchID = response.watchID }
            if response.canceled { s.finished = true }
        }
        return response
    }

    /// Asks for a progress notification (a response with no events, at the current revision).
    public func requestProgress() throws(ClientError) {
        try send(.request(.progress))
    }

    /// Cancels the watch on the server and ends the stream.
    public func cancel() {
        if let id = watchID { try? send(.request(.unwatch(id))) }
        state.withLock { $0.finished = true }
        client.cancel(streamID)
    }
}
