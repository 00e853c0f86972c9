import KVStore

/// The reply to `HELLO`.
public struct HelloResponse: Hashable, Sendable {
    /// The protocol version the connection now speaks.
    public var protocolVersion: Int64
    /// The server's program name (a bare word, e.g. `kvserver`).
    public var server: String
    /// The server's version (a bare word, e.g. `0.1.0`).
    public var version: String
    /// The etcd version whose API the server mirrors (`etcd=`, e.g. `3.5.0`); empty when it does not say.
    public var etcdVersion: String

    public init(protocolVersion: Int64 = ProtocolVersion.current, server: String, version: String,
                etcdVersion: String = "") {
        self.protocolVersion = protocolVersion
        self.server = server
        self.version = version
        self.etcdVersion = etcdVersion
    }
}

/// The reply to `STATUS`, mirroring etcd's `StatusResponse`.
public struct StatusResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// The server's version (a bare word, e.g. `3.5.0`).
    public var version: String
    /// Bytes the store's data occupies, and the part of it in use.
    public var dbSize: Int64
    public var dbSizeInUse: Int64
    /// The member id of the leader.
    public var leader: UInt64
    public var raftIndex: UInt64
    public var raftTerm: UInt64
    public var raftAppliedIndex: UInt64
    /// The revision history is compacted to.
    public var compactRevision: Int64
    public var isLearner: Bool
    /// Active alarms and other errors the member reports (etcd's `errors`), e.g. `NOSPACE`.
    public var errors: [String]

    public init(header: ResponseHeader, version: String, dbSize: Int64 = 0, dbSizeInUse: Int64 = 0,
                leader: UInt64 = 0, raftIndex: UInt64 = 0, raftTerm: UInt64 = 0, raftAppliedIndex: UInt64 = 0,
                compactRevision: Int64 = 0, isLearner: Bool = false, errors: [String] = []) {
        self.header = header
        self.version = version
        self.dbSize = dbSize
        self.dbSizeInUse = dbSizeInUse
        self.leader = leader
        self.raftIndex = raftIndex
        self.raftTerm = raftTerm
        self.raftAppliedIndex = raftAppliedIndex
        self.compactRevision = compactRevision
        self.isLearner = isLearner
        self.errors = errors
    }
}

/// One member of the cluster, as etcd's `Member`.
public struct Member: Hashable, Sendable {
    public var id: UInt64
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: UInt64, name: String, peerURLs: [String] = [], clientURLs: [String] = [], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }
}

/// The reply to `MEMBERS`, mirroring etcd's `MemberListResponse`.
public struct MemberListResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var members: [Member]

    public init(header: ResponseHeader, members: [Member]) {
        self.header = header
        self.members = members
    }
}

/// The reply to `HASH`, mirroring etcd's `HashKVResponse`.
public struct HashKVResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// The hash of the key-value history up to `hashRevision`.
    public var hash: UInt32
    public var compactRevision: Int64
    /// The revision the hash was computed at.
    public var hashRevision: Int64

    public init(header: ResponseHeader, hash: UInt32, compactRevision: Int64, hashRevision: Int64 = 0) {
        self.header = header
        self.hash = hash
        self.compactRevision = compactRevision
        self.hashRevision = hashRevision
    }
}

/// The reply to `HEALTH`, mirroring etcd's `/health` answer.
public struct HealthResponse: Hashable, Sendable {
    public var health: Bool
    /// Why the member is unhealthy (empty when healthy).
    public var reason: String

    public init(health: Bool, reason: String = "") {
        self.health = health
        self.reason = reason
    }
}

/// A typed successful reply.
public enum Response: Equatable, Sendable {
    case hello(HelloResponse)
    case pong
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case compact(CompactionResponse)
    case status(StatusResponse)
    case memberList(MemberListResponse)
    case health(HealthResponse)
    case hashKV(HashKVResponse)
    /// The reply to `PUT … --ttl=N`.
    case leasedPut(LeasedPutResponse)
    case leaseGrant(LeaseGrantResponse)
    case leaseRevoke(LeaseRevokeResponse)
    case leaseKeepAlive(LeaseKeepAliveResponse)
    case leaseTimeToLive(LeaseTimeToLiveResponse)
    case leaseList(LeaseLeasesResponse)
    /// The reply to `WATCH` (the `created` notice), and the payload of every `EVENT` line.
    case watch(WatchResponse)
    /// The reply to `UNWATCH`: `canceled` says whether the connection had such a watch.
    case unwatch(WatchResponse)
    /// The reply to `PROGRESS`.
    case progress(ResponseHeader)
    /// The reply to `SNAPSHOT`: the snapshot is captured; its chunks follow on `SNAPSHOT-NEXT`.
    case snapshot(SnapshotStartResponse)
    /// The reply to `SNAPSHOT-NEXT`.
    case snapshotChunk(SnapshotChunk)
    /// The reply to `AUTHENTICATE` or an auth management command (`kind` says which).
    case auth(CommandKind, AuthResponse)
    /// The reply to `DEFRAG`.
    case defragment(ResponseHeader)
    /// The reply to `ALARM LIST|DISARM`: the alarms raised (before a disarm: those it lowered).
    case alarm(AlarmResponse)

    /// The command this reply answers.
    public var kind: CommandKind {
        switch self {
        case .hello: .hello
        case .pong: .ping
        case .range: .get
        case .put: .put
        case .deleteRange: .del
        case .txn: .txn
        case .compact: .compact
        case .status: .status
        case .memberList: .members
        case .health: .health
        case .hashKV: .hash
        case .leasedPut: .put
        case .leaseGrant: .leaseGrant
        case .leaseRevoke: .leaseRevoke
        case .leaseKeepAlive: .leaseKeepAlive
        case .leaseTimeToLive: .leaseTTL
        case .leaseList: .leaseList
        case .watch: .watch
        case .unwatch: .unwatch
        case .progress: .progress
        case .snapshot: .snapshot
        case .snapshotChunk: .snapshotNext
        case .auth(let kind, _): kind
        case .defragment: .defrag
        case .alarm: .alarm
        }
    }
}

/// The reply to `SNAPSHOT`: the revision captured.
public struct SnapshotStartResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var snapshotRevision: Int64

    public init(header: ResponseHeader, snapshotRevision: Int64) {
        self.header = header
        self.snapshotRevision = snapshotRevision
    }
}

/// One piece of a streamed snapshot file (format: docs/SNAPSHOT.md). The last one has `done` set and
/// carries the file's size and SHA-256 (the same hash as its trailer).
public struct SnapshotChunk: Hashable, Sendable {
    public var data: [UInt8]
    public var done: Bool
    public var size: Int64
    public var sha256: [UInt8]

    public init(data: [UInt8], done: Bool = false, size: Int64 = 0, sha256: [UInt8] = []) {
        self.data = data
        self.done = done
        self.size = size
        self.sha256 = sha256
    }
}

/// One raised alarm: the member and the alarm's name as etcd spells it (`NOSPACE`, `CORRUPT`).
public struct AlarmMember: Hashable, Sendable {
    public var memberID: UInt64
    public var alarm: String

    public init(memberID: UInt64, alarm: String) {
        self.memberID = memberID
        self.alarm = alarm
    }
}

/// The reply to `ALARM`.
public struct AlarmResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var alarms: [AlarmMember]

    public init(header: ResponseHeader, alarms: [AlarmMember] = []) {
        self.header = header
        self.alarms = alarms
    }
}
