/// Every RPC of etcd's v3 gRPC services (etcd 3.4's `rpc.proto`, plus 3.5's `Maintenance/Downgrade`
/// and `Auth/AuthStatus`), named as gRPC names them on the wire: `/etcdserverpb.<Service>/<Method>`.
public enum EtcdMethod: String, CaseIterable, Hashable, Sendable {
    // KV
    case range = "/etcdserverpb.KV/Range"
    case put = "/etcdserverpb.KV/Put"
    case deleteRange = "/etcdserverpb.KV/DeleteRange"
    case txn = "/etcdserverpb.KV/Txn"
    case compact = "/etcdserverpb.KV/Compact"
    // Watch
    case watch = "/etcdserverpb.Watch/Watch"
    // Lease
    case leaseGrant = "/etcdserverpb.Lease/LeaseGrant"
    case leaseRevoke = "/etcdserverpb.Lease/LeaseRevoke"
    case leaseKeepAlive = "/etcdserverpb.Lease/LeaseKeepAlive"
    case leaseTimeToLive = "/etcdserverpb.Lease/LeaseTimeToLive"
    case leaseLeases = "/etcdserverpb.Lease/LeaseLeases"
    // Cluster
    case memberAdd = "/etcdserverpb.Cluster/MemberAdd"
    case memberRemove = "/etcdserverpb.Cluster/MemberRemove"
    case memberUpdate = "/etcdserverpb.Cluster/MemberUpdate"
    case memberList = "/etcdserverpb.Cluster/MemberList"
    case memberPromote = "/etcdserverpb.Cluster/MemberPromote"
    // Maintenance
    case alarm = "/etcdserverpb.Maintenance/Alarm"
    case status = "/etcdserverpb.Maintenance/Status"
    case defragment = "/etcdserverpb.Maintenance/Defragment"
    case hash = "/etcdserverpb.Maintenance/Hash"
    case hashKV = "/etcdserverpb.Maintenance/HashKV"
    case snapshot = "/etcdserverpb.Maintenance/Snapshot"
    case moveLeader = "/etcdserverpb.Maintenance/MoveLeader"
    case downgrade = "/etcdserverpb.Maintenance/Downgrade"
    // Auth
    case authEnable = "/etcdserverpb.Auth/AuthEnable"
    case authDisable = "/etcdserverpb.Auth/AuthDisable"
    case authStatus = "/etcdserverpb.Auth/AuthStatus"
    case authenticate = "/etcdserverpb.Auth/Authenticate"
    case userAdd = "/etcdserverpb.Auth/UserAdd"
    case userGet = "/etcdserverpb.Auth/UserGet"
    case userList = "/etcdserverpb.Auth/UserList"
    case userDelete = "/etcdserverpb.Auth/UserDelete"
    case userChangePassword = "/etcdserverpb.Auth/UserChangePassword"
    case userGrantRole = "/etcdserverpb.Auth/UserGrantRole"
    case userRevokeRole = "/etcdserverpb.Auth/UserRevokeRole"
    case roleAdd = "/etcdserverpb.Auth/RoleAdd"
    case roleGet = "/etcdserverpb.Auth/RoleGet"
    case roleList = "/etcdserverpb.Auth/RoleList"
    case roleDelete = "/etcdserverpb.Auth/RoleDelete"
    case roleGrantPermission = "/etcdserverpb.Auth/RoleGrantPermission"
    case roleRevokePermission = "/etcdserverpb.Auth/RoleRevokePermission"

    /// The gRPC path, e.g. `/etcdserverpb.KV/Range` (the `:path` pseudo-header).
    public var path: String { rawValue }

    /// The method named by a gRPC `:path`, or nil for any other path (answer `UNIMPLEMENTED`).
    public init?(path: String) {
        var path = path
        guard let method = path.withUTF8({ EtcdMethod(path: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = method
    }

    /// The method named by the bytes of a gRPC `:path`, without making a string: methods are bucketed
    /// by path length, and the few of the same length compared byte for byte.
    public init?(path: UnsafeRawBufferPointer) {
        guard path.count < Self.byLength.count else { return nil }
        for (bytes, method) in Self.byLength[path.count] {
            if bytes.withUnsafeBytes({ $0.elementsEqual(path) }) {
                self = method
                return
            }
        }
        return nil
    }

    /// Each path's bytes, at the index of its length (built once; immutable).
    private static let byLength: [[([UInt8], EtcdMethod)]] = {
        let longest = allCases.map(\.rawValue.utf8.count).max() ?? 0
        var table = [[([UInt8], EtcdMethod)]](repeating: [], count: longest + 1)
        for method in allCases {
            let bytes = Array(method.rawValue.utf8)
            table[bytes.count].append((bytes, method))
        }
        return table
    }()

    /// The service, e.g. `etcdserverpb.KV`.
    public var service: Substring {
        let path = rawValue.dropFirst()
        return path[..<(path.firstIndex(of: "/") ?? path.endIndex)]
    }

    /// The method's name in its service, e.g. `Range`.
    public var name: Substring {
        rawValue[rawValue.index(after: rawValue.lastIndex(of: "/") ?? rawValue.startIndex)...]
    }

    /// Whether the client sends a stream of requests (Watch, LeaseKeepAlive).
    public var clientStreams: Bool { self == .watch || self == .leaseKeepAlive }

    /// Whether the server answers with a stream of responses (Watch, LeaseKeepAlive, Snapshot).
    public var serverStreams: Bool { self == .watch || self == .leaseKeepAlive || self == .snapshot }

    /// Neither side streams: one request, one response.
    public var isUnary: Bool { !clientStreams && !serverStreams }
}
