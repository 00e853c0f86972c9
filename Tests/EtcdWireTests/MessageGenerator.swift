import EtcdWire
import KVProtocol
import KVStore
import TestSupport

/// Random etcd messages with every field exercised: values at the edges (0, negative, Int64.min/max,
/// multi-byte varints), empty and binary keys, non-ASCII strings, nested transactions.
struct MessageGenerator {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func bool() -> Bool { Bool.random(using: &rng) }

    mutating func int64() -> Int64 {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: 0
        case 1: [Int64.min, Int64.max, -1, 1, 127, 128, 300][Int.random(in: 0..<7, using: &rng)]
        case 2: Int64.random(in: -1_000...1_000, using: &rng)
        default: Int64(bitPattern: rng.next() >> UInt64.random(in: 0..<64, using: &rng))
        }
    }

    mutating func uint64() -> UInt64 { UInt64(bitPattern: int64()) }

    mutating func bytes(max: Int = 12, nonEmpty: Bool = false) -> [UInt8] {
        let count = Int.random(in: (nonEmpty ? 1 : 0)...max, using: &rng)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    mutating func string() -> String {
        let pieces = ["a", "root", "ü", "日本", "x y", "", "🙂", "role-1"]
        return (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
    }

    mutating func strings() -> [String] { (0..<Int.random(in: 0...3, using: &rng)).map { _ in string() } }

    mutating func header() -> ResponseHeader {
        ResponseHeader(clusterID: uint64(), memberID: uint64(), revision: int64(), raftTerm: uint64())
    }

    mutating func keyValue() -> KeyValue {
        KeyValue(key: bytes(), value: bytes(max: 40), createRevision: int64(), modRevision: int64(), version: int64(),
                 lease: int64())
    }

    mutating func rangeRequest() -> RangeRequest {
        RangeRequest(key: bytes(), rangeEnd: bytes(), limit: int64(), revision: int64(),
                     sortOrder: SortOrder(rawValue: Int.random(in: 0...2, using: &rng))!,
                     sortTarget: SortTarget(rawValue: Int.random(in: 0...4, using: &rng))!, serializable: bool(),
                     keysOnly: bool(), countOnly: bool(), minModRevision: int64(), maxModRevision: int64(),
                     minCreateRevision: int64(), maxCreateRevision: int64())
    }

    mutating func putRequest() -> PutRequest {
        PutRequest(key: bytes(), value: bytes(max: 40), lease: int64(), prevKV: bool(), ignoreValue: bool(),
                   ignoreLease: bool())
    }

    mutating func deleteRangeRequest() -> DeleteRangeRequest {
        DeleteRangeRequest(key: bytes(), rangeEnd: bytes(), prevKV: bool())
    }

    mutating func compare() -> Compare {
        let target: Compare.Target = switch Int.random(in: 0..<5, using: &rng) {
        case 0: .version(int64())
        case 1: .createRevision(int64())
        case 2: .modRevision(int64())
        case 3: .value(bytes())
        default: .lease(int64())
        }
        return Compare(key: bytes(), rangeEnd: bytes(), result: Compare.Result(rawValue: Int.random(in: 0...3, using: &rng))!,
                       target: target)
    }

    mutating func txnRequest(depth: Int = 0) -> TxnRequest {
        func ops(_ generator: inout MessageGenerator) -> [RequestOp] {
            (0..<Int.random(in: 0...3, using: &generator.rng)).map { _ in
                switch Int.random(in: 0..<(depth < 3 ? 4 : 3), using: &generator.rng) {
                case 0: .range(generator.rangeRequest())
                case 1: .put(generator.putRequest())
                case 2: .deleteRange(generator.deleteRangeRequest())
                default: .txn(generator.txnRequest(depth: depth + 1))
                }
            }
        }
        return TxnRequest(compare: (0..<Int.random(in: 0...3, using: &rng)).map { _ in compare() },
                          success: ops(&self), failure: ops(&self))
    }

    mutating func watchRequest() -> WatchRequest {
        WatchRequest(key: bytes(), rangeEnd: bytes(), startRevision: int64(), prevKV: bool(), noPut: bool(),
                     noDelete: bool(), progressNotify: bool(), watchID: int64())
    }

    mutating func permission() -> Permission {
        Permission(kind: Permission.Kind(rawValue: Int.random(in: 0...2, using: &rng))!, key: bytes(), rangeEnd: bytes())
    }

    mutating func authRequest() -> AuthRequest {
        switch Int.random(in: 0..<16, using: &rng) {
        case 0: .enable
        case 1: .disable
        case 2: .status
        case 3: .userAdd(name: string(), password: bool() ? string() : nil)
        case 4: .userDelete(string())
        case 5: .userGet(string())
        case 6: .userList
        case 7: .userChangePassword(name: string(), password: string())
        case 8: .userGrantRole(user: string(), role: string())
        case 9: .userRevokeRole(user: string(), role: string())
        case 10: .roleAdd(string())
        case 11: .roleDelete(string())
        case 12: .roleGet(string())
        case 13: .roleList
        case 14: .roleGrantPermission(role: string(), permission: permission())
        default: .roleRevokePermission(role: string(), key: bytes(), rangeEnd: bytes())
        }
    }

    /// Any call a client can send, each encodable by `EtcdWire.encodeRequest` and decoded back equal.
    mutating func call() -> EtcdCall {
        switch Int.random(in: 0..<28, using: &rng) {
        case 0: .request(.range(rangeRequest()))
        case 1: .request(.put(putRequest()))
        case 2: .request(.deleteRange(deleteRangeRequest()))
        case 3: .request(.txn(txnRequest()))
        case 4: .request(.compact(CompactionRequest(revision: int64(), physical: bool())))
        case 5: .request(.status)
        case 6: .request(.memberList)
        case 7: .request(.hashKV(HashKVRequest(revision: int64())))
        case 8: .request(.leaseGrant(LeaseGrantRequest(ttl: int64(), id: int64())))
        case 9: .request(.leaseRevoke(int64()))
        case 10: .request(.leaseKeepAlive(int64()))
        case 11: .request(.leaseTimeToLive(LeaseTimeToLiveRequest(id: int64(), keys: bool())))
        case 12: .request(.leaseList)
        case 13: .watch(.create(watchRequest(), fragment: bool()))
        case 14: .watch(.cancel(watchID: int64()))
        case 15: .watch(.progress)
        case 16: .request(.snapshot(SnapshotRequest()))
        case 17: .request(.authenticate(AuthenticateRequest(name: string(), password: string())))
        case 18, 19: .request(.auth(authRequest()))
        case 20: .alarm(EtcdAlarmRequest(action: .init(rawValue: Int32.random(in: 0...2, using: &rng)), memberID: uint64(),
                                         alarm: .init(rawValue: Int32.random(in: 0...2, using: &rng))))
        case 21: .defragment
        case 22: .hash
        case 23: .moveLeader(targetID: uint64())
        case 24: .memberAdd(peerURLs: strings(), isLearner: bool())
        case 25: .memberRemove(id: uint64())
        case 26: .memberUpdate(id: uint64(), peerURLs: strings())
        default: bool() ? .memberPromote(id: uint64()) : .downgrade(EtcdDowngradeRequest(action: .enable, version: string()))
        }
    }

    mutating func event() -> Event {
        Event(type: bool() ? .put : .delete, kv: keyValue(), prevKV: bool() ? keyValue() : nil)
    }

    mutating func rangeResponse() -> RangeResponse {
        RangeResponse(header: header(), kvs: (0..<Int.random(in: 0...4, using: &rng)).map { _ in keyValue() },
                      more: bool(), count: int64())
    }

    mutating func txnResponse(depth: Int = 0) -> TxnResponse {
        let responses: [ResponseOp] = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            switch Int.random(in: 0..<(depth < 3 ? 4 : 3), using: &rng) {
            case 0: .range(rangeResponse())
            case 1: .put(PutResponse(header: header(), prevKV: bool() ? keyValue() : nil))
            case 2: .deleteRange(DeleteRangeResponse(header: header(), deleted: int64(), prevKVs: [keyValue()]))
            default: .txn(txnResponse(depth: depth + 1))
            }
        }
        return TxnResponse(header: header(), succeeded: bool(), responses: responses)
    }

    mutating func member() -> Member {
        Member(id: uint64(), name: string(), peerURLs: strings(), clientURLs: strings(), isLearner: bool())
    }

    /// A reply and the method it answers; `EtcdWire.decodeResponse` gives it back.
    mutating func response() -> (EtcdMethod, Response) {
        switch Int.random(in: 0..<16, using: &rng) {
        case 0: return (.range, .range(rangeResponse()))
        case 1: return (.put, .put(PutResponse(header: header(), prevKV: bool() ? keyValue() : nil)))
        case 2: return (.deleteRange, .deleteRange(DeleteRangeResponse(header: header(), deleted: int64(),
                                                                        prevKVs: bool() ? [keyValue(), keyValue()] : [])))
        case 3: return (.txn, .txn(txnResponse()))
        case 4: return (.compact, .compact(CompactionResponse(header: header())))
        case 5: return (.watch, .watch(WatchResponse(header: header(), watchID: int64(), created: bool(), canceled: bool(),
                                                     compactRevision: int64(), cancelReason: string(),
                                                     events: (0..<Int.random(in: 0...3, using: &rng)).map { _ in event() })))
        case 6: return (.leaseGrant, .leaseGrant(LeaseGrantResponse(header: header(), id: int64(), ttl: int64())))
        case 7: return (.leaseRevoke, .leaseRevoke(LeaseRevokeResponse(header: header())))
        case 8: return (.leaseKeepAlive, .leaseKeepAlive(LeaseKeepAliveResponse(header: header(), id: int64(), ttl: int64())))
        case 9: return (.leaseTimeToLive, .leaseTimeToLive(LeaseTimeToLiveResponse(header: header(), id: int64(), ttl: int64(),
                                                                                   grantedTTL: int64(),
                                                                                   keys: [bytes(), bytes()])))
        case 10: return (.leaseLeases, .leaseList(LeaseLeasesResponse(header: header(), leases: [int64(), int64()])))
        case 11: return (.memberList, .memberList(MemberListResponse(header: header(), members: [member(), member()])))
        case 12: return (.status, .status(StatusResponse(header: header(), version: string(), dbSize: int64(),
                                                          dbSizeInUse: int64(), leader: uint64(), raftIndex: uint64(),
                                                          raftTerm: uint64(), raftAppliedIndex: uint64(),
                                                          isLearner: bool(), errors: strings())))
        case 13: return (.hashKV, .hashKV(HashKVResponse(header: header(), hash: UInt32.random(in: 0...UInt32.max, using: &rng),
                                                          compactRevision: int64(), hashRevision: int64())))
        case 14: return (.roleGet, .auth(.roleGet, AuthResponse(header: header(), permissions: [permission(), permission()])))
        default:
            let kinds: [(EtcdMethod, CommandKind)] = [(.authStatus, .authStatus), (.userList, .userList), (.userGet, .userGet),
                                                      (.roleList, .roleList), (.userAdd, .userAdd), (.authEnable, .authEnable)]
            let (method, kind) = kinds[Int.random(in: 0..<kinds.count, using: &rng)]
            var response = AuthResponse(header: header())
            switch kind {
            case .authStatus:
                response.enabled = bool()
                response.authRevision = uint64()
            case .userList: response.users = strings()
            case .userGet, .roleList: response.roles = strings()
            default: break
            }
            return (method, .auth(kind, response))
        }
    }
}
