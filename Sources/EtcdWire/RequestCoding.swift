import KVProtocol
import KVStore
import Protobuf

extension EtcdWire {
    /// Decodes one request message of `method` (for Watch and LeaseKeepAlive: one message of the
    /// client's stream). Nesting is bounded by `maximumDepth`; nothing is allocated from a length
    /// prefix; every failure is an `EtcdWireError` (answer it with `status(for:)`).
    ///
    /// etcd fields with no place in our requests (listed on `EtcdWire`) are read and dropped:
    /// `MemberListRequest.linearizable` (a single member is always linearizable), the 3.5
    /// `hashedPassword` of UserAdd/UserChangePassword (etcd's API layer sets it; a client sends the
    /// password).
    public static func decodeRequest(_ method: EtcdMethod, _ bytes: UnsafeRawBufferPointer) throws(EtcdWireError) -> EtcdCall {
        var reader = ProtobufReader(bytes, maximumDepth: maximumDepth)
        func message<M: EtcdMessage>(_ type: M.Type) throws(EtcdWireError) -> M {
            var value = M.protobufDefault
            try value.merge(from: &reader)
            return value
        }
        func bag() throws(EtcdWireError) -> FieldBag { try FieldBag(&reader) }
        func empty() throws(EtcdWireError) {
            while let tag = try reader.tag() { try reader.skipField(tag) }
        }
        switch method {
        case .range: return .request(.range(try message(RangeRequest.self)))
        case .put: return .request(.put(try message(PutRequest.self)))
        case .deleteRange: return .request(.deleteRange(try message(DeleteRangeRequest.self)))
        case .txn: return .request(.txn(try message(TxnRequest.self)))
        case .compact: return .request(.compact(try message(CompactionRequest.self)))
        case .watch: return .watch(try message(EtcdWatchRequest.self))
        case .leaseGrant: return .request(.leaseGrant(try message(LeaseGrantRequest.self)))
        case .leaseRevoke: return .request(.leaseRevoke(try message(EtcdLeaseID.self).id))
        case .leaseKeepAlive: return .request(.leaseKeepAlive(try message(EtcdLeaseID.self).id))
        case .leaseTimeToLive: return .request(.leaseTimeToLive(try message(LeaseTimeToLiveRequest.self)))
        case .leaseLeases:
            try empty()
            return .request(.leaseList)
        case .memberAdd:
            let fields = try bag()
            return .memberAdd(peerURLs: try fields.strings(1), isLearner: try fields.bool(2))
        case .memberRemove: return .memberRemove(id: try bag().uint64(1))
        case .memberUpdate:
            let fields = try bag()
            return .memberUpdate(id: try fields.uint64(1), peerURLs: try fields.strings(2))
        case .memberList:
            _ = try bag().bool(1)
            return .request(.memberList)
        case .memberPromote: return .memberPromote(id: try bag().uint64(1))
        case .alarm: return .alarm(try message(EtcdAlarmRequest.self))
        case .status:
            try empty()
            return .request(.status)
        case .defragment:
            try empty()
            return .defragment
        case .hash:
            try empty()
            return .hash
        case .hashKV: return .request(.hashKV(try message(HashKVRequest.self)))
        case .snapshot:
            try empty()
            return .request(.snapshot(SnapshotRequest()))
        case .moveLeader: return .moveLeader(targetID: try bag().uint64(1))
        case .downgrade: return .downgrade(try message(EtcdDowngradeRequest.self))
        case .authEnable:
            try empty()
            return .request(.auth(.enable))
        case .authDisable:
            try empty()
            return .request(.auth(.disable))
        case .authStatus:
            try empty()
            return .request(.auth(.status))
        case .authenticate:
            let fields = try bag()
            return .request(.authenticate(AuthenticateRequest(name: try fields.string(1), password: try fields.string(2))))
        case .userAdd:
            let fields = try bag()
            let noPassword = try fields.message(3)?.bool(1) ?? false
            let password = try fields.string(2)
            _ = try fields.string(4)
            return .request(.auth(.userAdd(name: try fields.string(1), password: noPassword ? nil : password)))
        case .userGet: return .request(.auth(.userGet(try bag().string(1))))
        case .userList:
            try empty()
            return .request(.auth(.userList))
        case .userDelete: return .request(.auth(.userDelete(try bag().string(1))))
        case .userChangePassword:
            let fields = try bag()
            _ = try fields.string(3)
            return .request(.auth(.userChangePassword(name: try fields.string(1), password: try fields.string(2))))
        case .userGrantRole:
            let fields = try bag()
            return .request(.auth(.userGrantRole(user: try fields.string(1), role: try fields.string(2))))
        case .userRevokeRole:
            let fields = try bag()
            return .request(.auth(.userRevokeRole(user: try fields.string(1), role: try fields.string(2))))
        case .roleAdd: return .request(.auth(.roleAdd(try bag().string(1))))
        case .roleGet: return .request(.auth(.roleGet(try bag().string(1))))
        case .roleList:
            try empty()
            return .request(.auth(.roleList))
        case .roleDelete: return .request(.auth(.roleDelete(try bag().string(1))))
        case .roleGrantPermission:
            let fields = try bag()
            var permission = Permission.protobufDefault
            if let permissionFields = try fields.message(2) { try permission.merge(permissionFields) }
            return .request(.auth(.roleGrantPermission(role: try fields.string(1), permission: permission)))
        case .roleRevokePermission:
            let fields = try bag()
            return .request(.auth(.roleRevokePermission(role: try fields.string(1), key: try fields.bytes(2),
                                                        rangeEnd: try fields.bytes(3))))
        }
    }

    /// Decodes one request message of `method` from an array.
    public static func decodeRequest(_ method: EtcdMethod, _ bytes: [UInt8]) throws(EtcdWireError) -> EtcdCall {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(EtcdWireError) -> EtcdCall in try decodeRequest(method, buffer) }
        }
        return try result.get()
    }

    /// The method and request message for `call`: the client side of `decodeRequest`, which decodes
    /// the message back to `call` (up to what etcd's messages cannot carry: `LeaseGrantRequest.keys`,
    /// `SnapshotRequest.revision`). Nil for requests that are not etcd calls (`hello`, `ping`,
    /// `health`, `leasedPut`, `snapshotNext`).
    public static func encodeRequest(_ call: EtcdCall) -> (method: EtcdMethod, message: [UInt8])? {
        func fields(_ method: EtcdMethod, _ list: [FieldList.Field]) -> (method: EtcdMethod, message: [UInt8]) {
            (method, FieldList(list).encoded())
        }
        switch call {
        case .request(let request):
            switch request {
            case .range(let value): return (.range, value.encoded())
            case .put(let value): return (.put, value.encoded())
            case .deleteRange(let value): return (.deleteRange, value.encoded())
            case .txn(let value): return (.txn, value.encoded())
            case .compact(let value): return (.compact, value.encoded())
            case .status: return (.status, [])
            case .memberList: return (.memberList, [])
            case .hashKV(let value): return (.hashKV, value.encoded())
            case .leaseGrant(let value): return (.leaseGrant, value.encoded())
            case .leaseRevoke(let id): return (.leaseRevoke, EtcdLeaseID(id).encoded())
            case .leaseKeepAlive(let id): return (.leaseKeepAlive, EtcdLeaseID(id).encoded())
            case .leaseTimeToLive(let value): return (.leaseTimeToLive, value.encoded())
            case .leaseList: return (.leaseLeases, [])
            case .watch(let watch): return (.watch, EtcdWatchRequest.create(watch, fragment: false).encoded())
            case .unwatch(let id): return (.watch, EtcdWatchRequest.cancel(watchID: id).encoded())
            case .progress: return (.watch, EtcdWatchRequest.progress.encoded())
            case .snapshot: return (.snapshot, [])
            case .authenticate(let login):
                return fields(.authenticate, [.string(1, login.name), .string(2, login.password)])
            case .auth(let auth):
                return encodeAuthRequest(auth)
            case .defragment: return (.defragment, [])
            case .alarm(let action):
                return (.alarm, EtcdAlarmRequest(action: action == .list ? .get : .deactivate,
                                                  alarm: action == .list ? .none : .noSpace).encoded())
            case .hello, .ping, .health, .leasedPut, .snapshotNext:
                return nil
            }
        case .watch(let watch): return (.watch, watch.encoded())
        case .alarm(let alarm): return (.alarm, alarm.encoded())
        case .defragment: return (.defragment, [])
        case .hash: return (.hash, [])
        case .moveLeader(let target): return fields(.moveLeader, [.varint(1, target)])
        case .memberAdd(let peerURLs, let isLearner):
            return fields(.memberAdd, [.strings(1, peerURLs), .bool(2, isLearner)])
        case .memberRemove(let id): return fields(.memberRemove, [.varint(1, id)])
        case .memberUpdate(let id, let peerURLs): return fields(.memberUpdate, [.varint(1, id), .strings(2, peerURLs)])
        case .memberPromote(let id): return fields(.memberPromote, [.varint(1, id)])
        case .downgrade(let downgrade): return (.downgrade, downgrade.encoded())
        }
    }

    private static func encodeAuthRequest(_ auth: AuthRequest) -> (method: EtcdMethod, message: [UInt8]) {
        func fields(_ method: EtcdMethod, _ list: [FieldList.Field]) -> (method: EtcdMethod, message: [UInt8]) {
            (method, FieldList(list).encoded())
        }
        switch auth {
        case .enable: return (.authEnable, [])
        case .disable: return (.authDisable, [])
        case .status: return (.authStatus, [])
        case .userAdd(let name, let password):
            if let password { return fields(.userAdd, [.string(1, name), .string(2, password)]) }
            return fields(.userAdd, [.string(1, name), .message(3, FieldList([.bool(1, true)]))])
        case .userDelete(let name): return fields(.userDelete, [.string(1, name)])
        case .userGet(let name): return fields(.userGet, [.string(1, name)])
        case .userList: return (.userList, [])
        case .userChangePassword(let name, let password):
            return fields(.userChangePassword, [.string(1, name), .string(2, password)])
        case .userGrantRole(let user, let role): return fields(.userGrantRole, [.string(1, user), .string(2, role)])
        case .userRevokeRole(let user, let role): return fields(.userRevokeRole, [.string(1, user), .string(2, role)])
        case .roleAdd(let name): return fields(.roleAdd, [.string(1, name)])
        case .roleDelete(let name): return fields(.roleDelete, [.string(1, name)])
        case .roleGet(let name): return fields(.roleGet, [.string(1, name)])
        case .roleList: return (.roleList, [])
        case .roleGrantPermission(let role, let permission):
            return fields(.roleGrantPermission, [.string(1, role), .message(2, permission.fields)])
        case .roleRevokePermission(let role, let key, let rangeEnd):
            return fields(.roleRevokePermission, [.string(1, role), .bytes(2, key), .bytes(3, rangeEnd)])
        }
    }
}
