import KVCtlCore
import KVProtocol
import KVStore

/// Auth on the in-process backend, by the server's rules (`RequestAuthorization` in KVProtocol): a login
/// makes a session sharing the store, every request is checked for the session's token while auth is
/// enabled, and auth management requests are answered from `store.auth`.
extension StoreBackend {
    /// A backend logged in as `credentials`; this one when auth is disabled (the login is then ignored,
    /// as etcd's client ignores "authentication is not enabled").
    func session(_ credentials: Credentials) throws(BackendError) -> Backend {
        do {
            let token = try store.auth.authenticate(name: credentials.name, password: credentials.password)
            let session = StoreBackend(store: store, endpoint: endpoint)
            session.token = token
            return session
        } catch .authNotEnabled {
            return self
        } catch {
            throw .server(error.description)
        }
    }

    func authorize(_ request: Request) throws(AuthError) {
        try request.authorize(on: store, token: token)
    }

    func answer(_ request: AuthRequest) throws(AuthError) -> AuthResponse {
        try request.apply(to: store.auth, header: stamp(ResponseHeader(revision: store.revision)))
    }
}
