import KVCtlCore
import KVProtocol
import KVStore

/// Auth on the in-process backend, by the server's rules (`RequestAuthorization` in KVServer): a login
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
        guard store.auth.isEnabled else { return }
        switch request {
        case .range(let r): try store.authorize(r, token: token)
        case .put(let r): try store.authorize(r, token: token)
        case .deleteRange(let r): try store.authorize(r, token: token)
        case .txn(let r): try store.authorize(r, token: token)
        case .compact, .hashKV: try store.auth.checkAdmin(token: token)
        case .leaseRevoke(let id): try store.authorizeLeaseRevoke(id, token: token)
        case .leaseTimeToLive(let r): try store.authorizeLeaseTimeToLive(r.id, token: token)
        case .leaseGrant, .leaseKeepAlive, .leaseList, .leasedPut: try store.auth.checkToken(token)
        case .auth(.status): try store.auth.checkToken(token)
        case .auth(.userGet(let name)): try store.auth.checkUserGet(name, token: token)
        case .auth(.roleGet(let role)): try store.auth.checkRoleGet(role, token: token)
        case .auth: try store.auth.checkAdmin(token: token)
        default: return
        }
    }

    func answer(_ request: AuthRequest) throws(AuthError) -> AuthResponse {
        let auth = store.auth
        var response = AuthResponse(header: stamp(ResponseHeader(revision: store.revision)))
        switch request {
        case .enable: try auth.enable()
        case .disable: auth.disable()
        case .status:
            response.enabled = auth.isEnabled
            response.authRevision = auth.revision
        case .userAdd(let name, let password): try auth.addUser(name, password: password)
        case .userDelete(let name): try auth.deleteUser(name)
        case .userGet(let name): response.roles = try auth.user(name).roles
        case .userList: response.users = auth.userNames()
        case .userChangePassword(let name, let password): try auth.changePassword(name, to: password)
        case .userGrantRole(let user, let role): try auth.grantRole(role, to: user)
        case .userRevokeRole(let user, let role): try auth.revokeRole(role, from: user)
        case .roleAdd(let name): try auth.addRole(name)
        case .roleDelete(let name): try auth.deleteRole(name)
        case .roleGet(let name): response.permissions = try auth.role(name).permissions
        case .roleList: response.roles = auth.roleNames()
        case .roleGrantPermission(let role, let permission): try auth.grantPermission(permission, to: role)
        case .roleRevokePermission(let role, let key, let rangeEnd):
            try auth.revokePermission(key: key, rangeEnd: rangeEnd, from: role)
        }
        return response
    }
}
