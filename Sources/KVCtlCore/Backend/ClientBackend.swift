import KVClient
import KVProtocol
import KVStore

/// The backend over the network client (kvserver's line protocol), falling back to etcd's gRPC API
/// (`GRPCBackend`) for an endpoint that does not speak it.
final class ClientBackend: Backend {
    private let client: KVClient
    let endpoint: String

    private init(client: KVClient, endpoint: String) {
        self.client = client
        self.endpoint = endpoint
    }

    /// Connects to the first endpoint that answers and logs in with `credentials`. Endpoints may be
    /// written `host:port`, `http://host:port` or `https://host:port` (TLS, as `security` says).
    ///
    /// A server with auth disabled answers the login with "authentication is not enabled"; etcd's
    /// client then carries on without a token, and so does this (the user is simply not needed).
    static func connect(endpoints: [String], dialTimeout: Int64, commandTimeout: Int64,
                        credentials: Credentials?, security: TransportSecurity) throws(BackendError) -> Backend {
        let addresses = endpoints.map(strippingUnixScheme)
        let client: KVClient
        do {
            client = try KVClient(endpoints: addresses, dialTimeout: .nanoseconds(dialTimeout),
                                  commandTimeout: .nanoseconds(commandTimeout), tls: security.tls)
        } catch let lineError where lineError.kind == .closed || lineError.kind == .protocolError {
            // The endpoint hung up on (or did not understand) the line protocol's HELLO: etcd itself
            // speaks only gRPC there. Try that; if it fails too, the first reason is the one to show
            // (a TLS port spoken to in plaintext says so).
            do throws(BackendError) {
                return try GRPCBackend.connect(endpoints: endpoints, dialTimeout: dialTimeout, commandTimeout: commandTimeout,
                                               credentials: credentials, security: security)
            } catch {
                if case .server = error { throw error }
                throw map(lineError)
            }
        } catch {
            throw map(error)
        }
        if let credentials {
            do {
                try client.authenticate(KVClient.Credentials(name: credentials.name, password: credentials.password))
            } catch {
                if case .auth(.authNotEnabled)? = error.wire {
                    return ClientBackend(client: client, endpoint: client.endpoint)
                }
                client.close()
                throw map(error)
            }
        }
        return ClientBackend(client: client, endpoint: client.endpoint)
    }

    /// KVClient reads `http://` and `https://` itself (they decide TLS); `unix://` is passed as a bare address.
    static func strippingUnixScheme(_ endpoint: String) -> String {
        guard endpoint.hasPrefix("unix://") else { return endpoint }
        var rest = String(endpoint.dropFirst("unix://".count))
        if rest.hasSuffix("/") { rest.removeLast() }
        return rest
    }

    /// etcdctl reports an unreachable or silent server as `context deadline exceeded`.
    static func map(_ error: ClientError) -> BackendError {
        switch error.kind {
        case .server: .server(error.wire?.message ?? error.description)
        case .connectionFailed: .unreachable("Error while dialing \(error.description)")
        case .handshakeFailed: .unreachable("authentication handshake failed: \(error.description)")
        case .timeout: .unavailable
        case .protocolError, .closed, .tlsConfiguration: .failure(error.description)
        }
    }

    func call(_ request: Request) throws(BackendError) -> Response {
        do {
            return try client.call(request)
        } catch {
            throw ClientBackend.map(error)
        }
    }

    func watch(_ request: WatchRequest) throws(BackendError) -> BackendWatch {
        do {
            return ClientBackendWatch(watch: try client.watch(request))
        } catch {
            throw ClientBackend.map(error)
        }
    }

    func close() { client.close() }
}

/// A watch of either client (`ClientWatch` over the line protocol, `EtcdGRPCWatch` over gRPC), as the
/// backend sees it.
protocol ClientSideWatch {
    func next(timeout: Duration?) throws(ClientError) -> WatchResponse?
    func requestProgress() throws(ClientError)
    /// Cancels the watch, best effort.
    func stop()
}

extension ClientWatch: ClientSideWatch {
    func stop() { try? cancel() }
}

extension EtcdGRPCWatch: ClientSideWatch {
    func stop() { cancel() }
}

/// A client's watch as a `BackendWatch`: its errors in etcdctl's terms.
final class ClientBackendWatch<Watch: ClientSideWatch>: BackendWatch {
    private let watch: Watch

    init(watch: Watch) { self.watch = watch }

    func next(timeoutNanoseconds: Int64?) throws(BackendError) -> WatchResponse? {
        do {
            return try watch.next(timeout: timeoutNanoseconds.map { .nanoseconds($0) })
        } catch {
            throw ClientBackend.map(error)
        }
    }

    func requestProgress() throws(BackendError) {
        do { try watch.requestProgress() } catch { throw ClientBackend.map(error) }
    }

    func cancel() { watch.stop() }
}
