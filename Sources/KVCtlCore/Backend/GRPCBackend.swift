import KVClient
import KVProtocol
import KVStore

/// The backend over etcd's gRPC API (`EtcdGRPCClient`): how kvctl speaks to etcd itself, which has no
/// line protocol. `ClientBackend.connect` falls back to it when an endpoint does not answer the line
/// protocol; `KVCTL_WIRE=grpc` chooses it from the start.
final class GRPCBackend: Backend {
    private let client: EtcdGRPCClient
    let endpoint: String

    private init(client: EtcdGRPCClient) {
        self.client = client
        self.endpoint = client.endpoint
    }

    /// Connects and logs in as `ClientBackend.connect` does (a server with auth disabled is used without
    /// a token, as etcd's client does).
    static func connect(endpoints: [String], dialTimeout: Int64, commandTimeout: Int64,
                        credentials: Credentials?, security: TransportSecurity) throws(BackendError) -> Backend {
        let client: EtcdGRPCClient
        do {
            client = try EtcdGRPCClient(endpoints: endpoints.map(ClientBackend.strippingUnixScheme),
                                        dialTimeout: .nanoseconds(dialTimeout), commandTimeout: .nanoseconds(commandTimeout),
                                        tls: security.tls)
        } catch {
            throw ClientBackend.map(error)
        }
        if let credentials {
            do {
                try client.authenticate(KVClient.Credentials(name: credentials.name, password: credentials.password))
            } catch where error.kind == .server && error.description == AuthError.authNotEnabled.description {
                return GRPCBackend(client: client)
            } catch {
                client.close()
                throw ClientBackend.map(error)
            }
        }
        return GRPCBackend(client: client)
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

    func snapshot(_ chunk: ([UInt8]) throws -> Void) throws {
        do {
            _ = try client.snapshot(to: chunk)
        } catch {
            throw ClientBackend.map(error)
        }
    }

    func close() { client.close() }
}
