import KVStore

/// What each request needs while auth is enabled (the rules are the store's, see `Store+Auth`): the
/// connection's token must name a user allowed to make it. Connection-level commands (`HELLO`, `PING`,
/// `AUTHENTICATE`, `UNWATCH`, `PROGRESS`, `SNAPSHOT-NEXT` of a snapshot already allowed) and the
/// member-level reads etcd leaves open (`STATUS`, `MEMBERS`, `HEALTH`) need nothing. Shared by the
/// server and by anything else that serves requests from a `Store` (the CLI's in-process test backend).
extension Request {
    public func authorize(on store: Store, token: String?) throws(AuthError) {
        guard store.auth.isEnabled else { return }
        switch self {
        case .hello, .ping, .authenticate, .unwatch, .progress, .snapshotNext, .status, .memberList, .health:
            return
        case .range(let range): try store.authorize(range, token: token)
        case .put(let put): try store.authorize(put, token: token)
        case .leasedPut(let leased):
            try store.auth.checkToken(token)
            try store.authorize(leased.put, token: token)
        case .deleteRange(let delete): try store.authorize(delete, token: token)
        case .txn(let txn): try store.authorize(txn, token: token)
        case .watch(let watch): try store.authorize(watch, token: token)
        case .compact, .hashKV, .snapshot, .defragment: try store.auth.checkAdmin(token: token)
        // Listing alarms is open to any user, as etcd's; disarming is root's.
        case .alarm(let action):
            if action == .disarm { try store.auth.checkAdmin(token: token) } else { try store.auth.checkToken(token) }
        case .leaseGrant(let grant):
            try store.auth.checkToken(token)
            // Attaching existing keys rewrites them.
            for key in grant.keys { try store.auth.checkPermission(token: token, key: key, write: true) }
        case .leaseList: try store.auth.checkToken(token)
        case .leaseKeepAlive(let id): try store.authorizeLeaseKeepAlive(id, token: token)
        case .leaseRevoke(let id): try store.authorizeLeaseRevoke(id, token: token)
        case .leaseTimeToLive(let request): try store.authorizeLeaseTimeToLive(request.id, token: token)
        case .auth(let auth):
            switch auth {
            case .status: try store.auth.checkToken(token)
            case .userGet(let name): try store.auth.checkUserGet(name, token: token)
            case .roleGet(let role): try store.auth.checkRoleGet(role, token: token)
            default: try store.auth.checkAdmin(token: token)
            }
        }
    }
}

extension AuthRequest {
    /// Runs the request on `auth` (already authorized); the reply carries `header`.
    public func apply(to auth: AuthStore, header: ResponseHeader) throws(AuthError) -> AuthResponse {
        var response = AuthResponse(header: header)
        switch self {
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
