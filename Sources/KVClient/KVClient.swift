import KVPosix
import KVProtocol
import KVStore

/// A connection to a kvserver, used by kvctl, kvbench and the tests.
///
///     let client = try KVClient(endpoints: ["127.0.0.1:2379"])
///     let secure = try KVClient(endpoints: ["https://127.0.0.1:2379"],
///                               tls: ClientTLS(ClientTLS.Configuration(caFile: "ca.pem")))
///     let reply = try client.call(.put(PutRequest(key: Array("k".utf8), value: Array("v".utf8))))
///     let replies = try client.pipeline(requests)          // one write, replies matched by tag
///     let watch = try client.watch(WatchRequest(key: Array("k".utf8)))
///     while let response = try watch.next(timeout: .seconds(1)) { … }
///
/// Every request is tagged with a sequence number; replies are matched to requests by tag, and watch
/// events (which share the connection) are queued per watch. All methods are thread-safe: one mutex
/// guards the connection, and waiting callers release it every few milliseconds so that a thread
/// blocked in `ClientWatch.next` does not hold up a `call` from another thread.
public final class KVClient: @unchecked Sendable {
    // @unchecked: all mutable state is the `ClientConnection` behind `connection`'s mutex.
    private let connection: PosixMutex<ClientConnection>
    /// The endpoint connected to, as `host:port`.
    public let endpoint: String
    public let commandTimeout: Duration
    /// The server's greeting.
    public let hello: HelloResponse
    /// The credentials the connection logged in with, kept to log in again when the token expires.
    private let credentials = PosixMutex<Credentials?>(nil)

    /// A user name and password for `AUTHENTICATE`.
    public struct Credentials: Sendable, CustomStringConvertible {
        public var name: String
        public var password: String

        public init(name: String, password: String) {
            self.name = name
            self.password = password
        }

        /// Never shows the password.
        public var description: String { "Credentials(name: \(name))" }
    }

    /// Connects to the first endpoint that accepts (in order), runs the TLS handshake on it if it is
    /// a TLS endpoint, and says `HELLO`.
    ///
    /// Endpoints are `host:port`, `http://host:port` or `https://host:port`. An `https://` endpoint is
    /// always TLS (with `tls`, or else the system's trust store); a bare `host:port` is TLS when `tls` is
    /// given, as in etcd's client; an `http://` one is plaintext, so giving it with `tls` is refused
    /// rather than sent in the clear. The dial timeout covers the connect and the handshake.
    /// - Throws: `.connectionFailed` with the last endpoint's dial error when none can be reached;
    ///   `.handshakeFailed` when its TLS handshake failed (Go's wording of why); `.tlsConfiguration`;
    ///   `.server` when the server refuses the protocol version.
    ///   With `credentials`, also logs in (`.server` with `AUTH_FAILED` when they are refused).
    public init(endpoints: [String], dialTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(5),
                credentials: Credentials? = nil, tls: ClientTLS? = nil) throws(ClientError) {
        let connected = ClientConnection(stream: try ClientStream.dial(endpoints, tls: tls, timeoutNanoseconds: dialTimeout.nanoseconds))
        self.connection = PosixMutex(connected)
        self.endpoint = connected.endpoint
        self.commandTimeout = commandTimeout
        let greeting: [Result<Response, WireError>]
        do {
            greeting = try KVClient.exchange(connection, [.hello(HelloRequest())], timeout: commandTimeout)
        } catch where connected.tls == nil && (error.kind == .closed || error.kind == .protocolError) {
            // A TLS listener hangs up on plaintext (or answers with a TLS alert record).
            throw ClientError(kind: error.kind,
                              description: "\(error.description); the server hung up before answering HELLO: if it serves TLS, use https://")
        } catch where connected.tls != nil && error.kind == .closed {
            // With TLS 1.3 a server refuses the client's certificate after the client's side of the
            // handshake is done: the alert arrives with the first read.
            throw ClientError(kind: .handshakeFailed, description: error.description.tlsReason)
        }
        switch greeting[0] {
        case .success(.hello(let hello)): self.hello = hello
        case .success(let other):
            throw ClientError(kind: .protocolError, description: "unexpected reply to HELLO: \(other.kind.verb)")
        case .failure(let error): throw ClientError.server(error)
        }
        if let credentials { try authenticate(credentials) }
    }

    deinit { close() }

    /// Logs the connection in; later requests run as that user. The credentials are kept so that an
    /// expired token is renewed by logging in again (once per request).
    /// - Throws: `.server` with etcd's "authentication failed" (or "authentication is not enabled").
    public func authenticate(_ credentials: Credentials) throws(ClientError) {
        switch try KVClient.exchange(connection, [.authenticate(AuthenticateRequest(name: credentials.name, password: credentials.password))],
                                     timeout: commandTimeout)[0] {
        case .success: self.credentials.withLock { $0 = credentials }
        case .failure(let error): throw ClientError.server(error)
        }
    }

    /// Sends one request and waits for its reply.
    /// - Throws: `.server` for an `ERR` reply; `.timeout` after `commandTimeout`; `.closed`,
    ///   `.protocolError`.
    public func call(_ request: Request) throws(ClientError) -> Response {
        switch try KVClient.exchange(connection, [request], timeout: commandTimeout)[0] {
        case .success(let response): return response
        case .failure(.auth(.invalidAuthToken)):
            guard let credentials = credentials.withLock({ $0 }) else { throw ClientError.server(.auth(.invalidAuthToken)) }
            try authenticate(credentials)
            switch try KVClient.exchange(connection, [request], timeout: commandTimeout)[0] {
            case .success(let response): return response
            case .failure(let error): throw ClientError.server(error)
            }
        case .failure(let error): throw ClientError.server(error)
        }
    }

    /// Sends every request in one write and returns their results in request order. Server errors are
    /// per request (`.failure`); connection problems throw. The timeout covers the whole batch.
    public func pipeline(_ requests: [Request]) throws(ClientError) -> [Result<Response, WireError>] {
        if requests.isEmpty { return [] }
        return try KVClient.exchange(connection, requests, timeout: commandTimeout)
    }

    /// Starts a watch: sends `WATCH`, waits for the `created` reply, and returns the handle its
    /// events are read through. Events travel on this client's connection.
    public func watch(_ request: WatchRequest) throws(ClientError) -> ClientWatch {
        let deadline = Posix.deadline(afterNanoseconds: commandTimeout.nanoseconds)
        let sequence = try connection.withLock { (c) throws(ClientError) -> UInt64 in
            try c.send([.watch(request)], deadline: deadline, watch: true)[0]
        }
        switch try KVClient.wait(connection, for: sequence, deadline: deadline, what: "WATCH") {
        case .success(.watch(let created)):
            return ClientWatch(client: self, sequence: sequence, watchID: created.watchID)
        case .success(let other):
            throw ClientError(kind: .protocolError, description: "unexpected reply to WATCH: \(other.kind.verb)")
        case .failure(let error):
            throw ClientError.server(error)
        }
    }

    /// Renews a lease once.
    public func keepAliveOnce(_ leaseID: Int64) throws(ClientError) -> LeaseKeepAliveResponse {
        guard case .leaseKeepAlive(let response) = try call(.leaseKeepAlive(leaseID)) else {
            throw ClientError(kind: .protocolError, description: "unexpected reply to LEASE-KEEPALIVE")
        }
        return response
    }

    /// Keeps a lease alive: an async sequence that renews it right away and then every `every`,
    /// yielding each renewal; it throws (`.server` with `LEASE_NOT_FOUND`) once the lease is gone and
    /// ends when the consuming task is cancelled.
    public func keepAlive(_ leaseID: Int64, every: Duration) -> LeaseKeepAlives {
        LeaseKeepAlives(client: self, leaseID: leaseID, interval: every)
    }

    /// Streams a point-in-time snapshot of the server's store (docs/SNAPSHOT.md) into `sink`, chunk by
    /// chunk, keeping a few chunk requests in flight. The byte count is checked here; the file's own
    /// SHA-256 trailer lets the receiver check the contents (`Store.inspectSnapshot`).
    /// - Returns: the revision captured, the size in bytes and the SHA-256 of the file before its trailer.
    /// - Throws: `.server` (e.g. a compacted revision), `.protocolError` when bytes went missing, and
    ///   whatever `sink` throws, wrapped as `.closed`.
    public func snapshot(revision: Int64 = 0, to sink: ([UInt8]) throws -> Void) throws(ClientError)
        -> (revision: Int64, size: Int64, sha256: [UInt8]) {
        guard case .snapshot(let started) = try call(.snapshot(SnapshotRequest(revision: revision))) else {
            throw ClientError(kind: .protocolError, description: "unexpected reply to SNAPSHOT")
        }
        var received: Int64 = 0
        let inFlight = 4
        while true {
            let results = try pipeline(Array(repeating: .snapshotNext, count: inFlight))
            for result in results {
                switch result {
                case .success(.snapshotChunk(let chunk)):
                    received += Int64(chunk.data.count)
                    do {
                        try sink(chunk.data)
                    } catch {
                        throw ClientError(kind: .closed, description: "snapshot: \(error)")
                    }
                    if chunk.done {
                        guard received == chunk.size else {
                            throw ClientError(kind: .protocolError, description: "snapshot: received \(received) bytes, the server sent \(chunk.size)")
                        }
                        return (started.snapshotRevision, chunk.size, chunk.sha256)
                    }
                case .success(let other):
                    throw ClientError(kind: .protocolError, description: "unexpected reply to SNAPSHOT-NEXT: \(other.kind.verb)")
                case .failure(let error):
                    throw ClientError.server(error)
                }
            }
        }
    }

    /// Closes the connection; later calls fail with `.closed`. Idempotent.
    public func close() {
        connection.withLock { $0.close() }
    }

    // MARK: Plumbing

    static func exchange(_ connection: PosixMutex<ClientConnection>, _ requests: [Request],
                         timeout: Duration) throws(ClientError) -> [Result<Response, WireError>] {
        let deadline = Posix.deadline(afterNanoseconds: timeout.nanoseconds)
        let sequences = try connection.withLock { (c) throws(ClientError) -> [UInt64] in
            try c.send(requests, deadline: deadline)
        }
        var results: [Result<Response, WireError>] = []
        results.reserveCapacity(sequences.count)
        for (index, sequence) in sequences.enumerated() {
            do {
                results.append(try wait(connection, for: sequence, deadline: deadline,
                                        what: requests[index].kind.verb, timeout: timeout))
            } catch {
                connection.withLock { c in for rest in sequences[index...] { c.abandon(rest) } }
                throw error
            }
        }
        return results
    }

    static func wait(_ connection: PosixMutex<ClientConnection>, for sequence: UInt64, deadline: UInt64,
                     what: String, timeout: Duration? = nil) throws(ClientError) -> Result<Response, WireError> {
        while true {
            let taken = try connection.withLock { (c) throws(ClientError) -> Result<Response, WireError>? in
                if let result = c.takeResult(sequence) { return result }
                try c.pump(until: deadline)
                return c.takeResult(sequence)
            }
            if let taken { return taken }
            if Posix.monotonicNanoseconds() >= deadline {
                connection.withLock { $0.abandon(sequence) }
                let limit = timeout.map { " after \($0.shortText)" } ?? ""
                throw ClientError(kind: .timeout, description: "command timed out\(limit) waiting for the reply to \(what)")
            }
        }
    }

    /// The next queued response of a watch, waiting until `deadline` (nil: forever).
    func nextWatchResponse(_ sequence: UInt64, deadline: UInt64?) throws(ClientError) -> WatchResponse? {
        while true {
            let taken = try connection.withLock { (c) throws(ClientError) -> WatchResponse?? in
                if let response = c.popWatchResponse(sequence) { return .some(response) }
                guard let queue = c.watches[sequence], !queue.finished else {
                    c.watches[sequence] = nil
                    throw ClientError(kind: .closed, description: "the watch has ended")
                }
                try c.pump(until: deadline ?? UInt64.max)
                if let response = c.popWatchResponse(sequence) { return .some(response) }
                return .some(nil)
            }
            if let response = taken ?? nil { return response }
            if let deadline, Posix.monotonicNanoseconds() >= deadline { return nil }
        }
    }

    func forgetWatch(_ sequence: UInt64) {
        connection.withLock { $0.watches[sequence] = nil }
    }
}

extension ClientConnection {
    /// Pops the oldest queued response of watch `sequence`.
    func popWatchResponse(_ sequence: UInt64) -> WatchResponse? {
        guard var queue = watches[sequence], queue.head < queue.responses.count else { return nil }
        let response = queue.responses[queue.head]
        queue.head += 1
        if queue.head == queue.responses.count {
            queue.responses.removeAll(keepingCapacity: true)
            queue.head = 0
        }
        watches[sequence] = queue
        return response
    }
}

extension String {
    /// "read from 127.0.0.1:2379: remote error: tls: certificate required" → "remote error: tls: certificate required".
    var tlsReason: String {
        guard let range = firstRange(of: ": "), hasPrefix("read from ") || hasPrefix("write to ") else { return self }
        return String(self[range.upperBound...])
    }
}
