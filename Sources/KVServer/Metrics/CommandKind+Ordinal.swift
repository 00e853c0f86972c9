import KVProtocol

extension CommandKind {
    /// The command's position in `allCases`, computed by a switch (which compiles to the enum's tag)
    /// rather than a search or a hash: it picks the command's latency histogram on every request.
    var ordinal: Int {
        switch self {
        case .hello: 0
        case .ping: 1
        case .get: 2
        case .put: 3
        case .del: 4
        case .txn: 5
        case .compact: 6
        case .status: 7
        case .members: 8
        case .health: 9
        case .hash: 10
        case .leaseGrant: 11
        case .leaseRevoke: 12
        case .leaseKeepAlive: 13
        case .leaseTTL: 14
        case .leaseList: 15
        case .watch: 16
        case .unwatch: 17
        case .progress: 18
        case .snapshot: 19
        case .snapshotNext: 20
        case .authenticate: 21
        case .authEnable: 22
        case .authDisable: 23
        case .authStatus: 24
        case .userAdd: 25
        case .userDelete: 26
        case .userGet: 27
        case .userList: 28
        case .userPasswd: 29
        case .userGrant: 30
        case .userRevoke: 31
        case .roleAdd: 32
        case .roleDelete: 33
        case .roleGet: 34
        case .roleList: 35
        case .roleGrant: 36
        case .roleRevoke: 37
        case .defrag: 38
        case .alarm: 39
        }
    }
}
