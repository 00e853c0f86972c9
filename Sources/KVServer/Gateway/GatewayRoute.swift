import EtcdWire

/// The paths of etcd 3.4's gRPC-JSON gateway (the `google.api.http` options of etcd's `rpc.proto`),
/// each the method it calls. `/v3beta/…` is the same table (etcd 3.4 registers its gateway under both
/// prefixes); `/v3alpha/…` is not served (404), as on etcd 3.4.
///
/// `/v3/maintenance/hash` is declared by both Hash and HashKV; grpc-gateway's mux takes the first
/// registered, Hash, as etcd 3.4 answers. Auth/AuthStatus (etcd 3.5) and Maintenance/Downgrade have no
/// path on etcd 3.4.
enum GatewayRoute {
    static let prefixes = ["/v3/", "/v3beta/"]

    static let methods: [String: EtcdMethod] = [
        "kv/range": .range,
        "kv/put": .put,
        "kv/deleterange": .deleteRange,
        "kv/txn": .txn,
        "kv/compaction": .compact,
        "watch": .watch,
        "lease/grant": .leaseGrant,
        "lease/revoke": .leaseRevoke,
        "kv/lease/revoke": .leaseRevoke,
        "lease/keepalive": .leaseKeepAlive,
        "lease/timetolive": .leaseTimeToLive,
        "kv/lease/timetolive": .leaseTimeToLive,
        "lease/leases": .leaseLeases,
        "kv/lease/leases": .leaseLeases,
        "cluster/member/add": .memberAdd,
        "cluster/member/remove": .memberRemove,
        "cluster/member/update": .memberUpdate,
        "cluster/member/list": .memberList,
        "cluster/member/promote": .memberPromote,
        "maintenance/alarm": .alarm,
        "maintenance/status": .status,
        "maintenance/defragment": .defragment,
        "maintenance/hash": .hash,
        "maintenance/snapshot": .snapshot,
        "maintenance/transfer-leadership": .moveLeader,
        "auth/enable": .authEnable,
        "auth/disable": .authDisable,
        "auth/authenticate": .authenticate,
        "auth/user/add": .userAdd,
        "auth/user/get": .userGet,
        "auth/user/list": .userList,
        "auth/user/delete": .userDelete,
        "auth/user/changepw": .userChangePassword,
        "auth/user/grant": .userGrantRole,
        "auth/user/revoke": .userRevokeRole,
        "auth/role/add": .roleAdd,
        "auth/role/get": .roleGet,
        "auth/role/list": .roleList,
        "auth/role/delete": .roleDelete,
        "auth/role/grant": .roleGrantPermission,
        "auth/role/revoke": .roleRevokePermission,
    ]

    /// The method a gateway path calls, or nil (etcd answers 404 `Not Found`).
    static func method(for path: String) -> EtcdMethod? {
        for prefix in prefixes where path.hasPrefix(prefix) {
            return methods[String(path.dropFirst(prefix.count))]
        }
        return nil
    }

    /// A `/v3/…` request, as etcd's mux answers it: `OPTIONS` (CORS preflight) 200, an unknown path
    /// 404 `Not Found`, another method than `POST` 405, each with etcd's CORS headers; a `POST` to a
    /// gateway path is the call of its method.
    static func answer(to request: HTTPRequest) -> HTTPAnswer {
        let cors = GatewayExchange.corsHeaders
        if request.method == "OPTIONS" { return .response(HTTPResponse(status: .ok, contentType: nil, headers: cors)) }
        guard let method = method(for: request.path) else { return .response(.error(.notFound, "Not Found", headers: cors)) }
        guard request.method == "POST" else { return .response(.error(.methodNotAllowed, "Method Not Allowed", headers: cors)) }
        return .gateway(method)
    }

    /// Every path served, for tests and documentation.
    static var paths: [String] { methods.keys.sorted().map { "/v3/" + $0 } }
}
