import KVProtocol
import KVStore
import Protobuf

extension EtcdWire {
    /// The etcd response message for `response`, encoded in one array of exactly its size. Nil for
    /// replies etcd's API has no message for (`hello`, `pong`, `health`, `leasedPut`, `snapshot`,
    /// `snapshotChunk` — a gRPC snapshot streams `EtcdSnapshotResponse`s) and for `authenticate`, whose
    /// token the front end holds (`EtcdAuthenticateResponse`).
    ///
    /// Watch replies are `WatchResponse`s: `.progress(header)` is etcd's progress notification (watch id
    /// -1, etcd's `InvalidWatchID`, as it is answered to the whole stream).
    public static func encodeResponse(_ response: Response) -> [UInt8]? {
        var output: [UInt8] = []
        return appendResponse(response, to: &output) ? output : nil
    }

    /// Appends the etcd response message for `response` to `output` (e.g. after a gRPC frame's 5-byte
    /// prefix, whose length is `responseSize(response)`); false, and nothing appended, where
    /// `encodeResponse` gives nil.
    public static func appendResponse(_ response: Response, to output: inout [UInt8]) -> Bool {
        func append<M: EtcdMessage>(_ message: M) -> Bool {
            if output.isEmpty {
                output = message.encoded()
            } else {
                message.append(to: &output)
            }
            return true
        }
        switch response {
        case .range(let value): return append(value)
        case .put(let value): return append(value)
        case .deleteRange(let value): return append(value)
        case .txn(let value): return append(value)
        case .compact(let value): return append(value)
        case .status(let value): return append(value)
        case .memberList(let value): return append(value)
        case .hashKV(let value): return append(value)
        case .leaseGrant(let value): return append(value)
        case .leaseRevoke(let value): return append(value)
        case .leaseKeepAlive(let value): return append(value)
        case .leaseTimeToLive(let value): return append(value)
        case .leaseList(let value): return append(value)
        case .watch(let value), .unwatch(let value): return append(value)
        case .progress(let header): return append(progressResponse(header))
        case .auth(let kind, let value):
            guard kind != .authenticate else { return false }
            return append(value.fields(for: kind))
        case .defragment(let header): return append(EtcdHeaderResponse(header: header))
        case .alarm(let value): return append(EtcdAlarmResponse(value))
        case .hello, .pong, .health, .leasedPut, .snapshot, .snapshotChunk:
            return false
        }
    }

    /// The size of `encodeResponse(response)`, or nil where that is nil.
    public static func responseSize(_ response: Response) -> Int? {
        switch response {
        case .range(let value): value.encodedSize
        case .put(let value): value.encodedSize
        case .deleteRange(let value): value.encodedSize
        case .txn(let value): value.encodedSize
        case .compact(let value): value.encodedSize
        case .status(let value): value.encodedSize
        case .memberList(let value): value.encodedSize
        case .hashKV(let value): value.encodedSize
        case .leaseGrant(let value): value.encodedSize
        case .leaseRevoke(let value): value.encodedSize
        case .leaseKeepAlive(let value): value.encodedSize
        case .leaseTimeToLive(let value): value.encodedSize
        case .leaseList(let value): value.encodedSize
        case .watch(let value), .unwatch(let value): value.encodedSize
        case .progress(let header): progressResponse(header).encodedSize
        case .auth(let kind, let value): kind == .authenticate ? nil : value.fields(for: kind).encodedSize
        case .defragment(let header): EtcdHeaderResponse(header: header).encodedSize
        case .alarm(let value): EtcdAlarmResponse(value).encodedSize
        case .hello, .pong, .health, .leasedPut, .snapshot, .snapshotChunk: nil
        }
    }

    /// etcd's progress notification: the header, watch id -1.
    public static func progressResponse(_ header: ResponseHeader) -> WatchResponse {
        WatchResponse(header: header, watchID: -1)
    }

    /// Decodes an etcd response message of `method` into our `Response` (the client side of
    /// `encodeResponse`). Nil for methods whose response our `Response` does not model (Hash,
    /// MoveLeader, member changes, Downgrade, Snapshot, Authenticate: decode those
    /// with their EtcdWire message types). A Watch message decodes as `.watch`.
    public static func decodeResponse(_ method: EtcdMethod, _ bytes: [UInt8]) throws(EtcdWireError) -> Response? {
        func auth(_ kind: CommandKind) throws(EtcdWireError) -> Response {
            .auth(kind, try AuthResponse(protobuf: bytes, kind: kind))
        }
        switch method {
        case .range: return .range(try RangeResponse(protobuf: bytes))
        case .put: return .put(try PutResponse(protobuf: bytes))
        case .deleteRange: return .deleteRange(try DeleteRangeResponse(protobuf: bytes))
        case .txn: return .txn(try TxnResponse(protobuf: bytes))
        case .compact: return .compact(try CompactionResponse(protobuf: bytes))
        case .watch: return .watch(try WatchResponse(protobuf: bytes))
        case .leaseGrant: return .leaseGrant(try LeaseGrantResponse(protobuf: bytes))
        case .leaseRevoke: return .leaseRevoke(try LeaseRevokeResponse(protobuf: bytes))
        case .leaseKeepAlive: return .leaseKeepAlive(try LeaseKeepAliveResponse(protobuf: bytes))
        case .leaseTimeToLive: return .leaseTimeToLive(try LeaseTimeToLiveResponse(protobuf: bytes))
        case .leaseLeases: return .leaseList(try LeaseLeasesResponse(protobuf: bytes))
        case .memberList: return .memberList(try MemberListResponse(protobuf: bytes))
        case .status: return .status(try StatusResponse(protobuf: bytes))
        case .hashKV: return .hashKV(try HashKVResponse(protobuf: bytes))
        case .authEnable: return try auth(.authEnable)
        case .authDisable: return try auth(.authDisable)
        case .authStatus: return try auth(.authStatus)
        case .userAdd: return try auth(.userAdd)
        case .userGet: return try auth(.userGet)
        case .userList: return try auth(.userList)
        case .userDelete: return try auth(.userDelete)
        case .userChangePassword: return try auth(.userPasswd)
        case .userGrantRole: return try auth(.userGrant)
        case .userRevokeRole: return try auth(.userRevoke)
        case .roleAdd: return try auth(.roleAdd)
        case .roleGet: return try auth(.roleGet)
        case .roleList: return try auth(.roleList)
        case .roleDelete: return try auth(.roleDelete)
        case .roleGrantPermission: return try auth(.roleGrant)
        case .roleRevokePermission: return try auth(.roleRevoke)
        case .alarm: return .alarm(AlarmResponse(try EtcdAlarmResponse(protobuf: bytes)))
        case .defragment: return .defragment(try EtcdHeaderResponse(protobuf: bytes).header)
        case .memberAdd, .memberRemove, .memberUpdate, .memberPromote, .hash, .snapshot,
             .moveLeader, .downgrade, .authenticate:
            return nil
        }
    }
}

extension AlarmResponse {
    /// The line protocol's `AlarmResponse` for etcd's (alarm names as etcd spells them).
    public init(_ response: EtcdAlarmResponse) {
        self.init(header: response.header, alarms: response.alarms.map { member in
            AlarmMember(memberID: member.memberID, alarm: member.alarm == .corrupt ? "CORRUPT" : member.alarm == .noSpace ? "NOSPACE" : "NONE")
        })
    }
}

extension EtcdAlarmResponse {
    /// etcd's AlarmResponse for the line protocol's `AlarmResponse` (alarm names as etcd spells them).
    public init(_ response: AlarmResponse) {
        self.init(header: response.header, alarms: response.alarms.map { alarm in
            EtcdAlarmMember(memberID: alarm.memberID, alarm: alarm.alarm == "CORRUPT" ? .corrupt : .noSpace)
        })
    }
}
