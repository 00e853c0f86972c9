import KVStore
@testable import KVProtocol
import TestSupport

/// Random values for the round-trip tests, biased towards the bytes and numbers that break codecs.
struct Fuzz {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    static let awkwardWords: [[UInt8]] = [
        [], [0], [0xff], Array(" ".utf8), Array("\"".utf8), Array("\\".utf8), Array("\n".utf8), Array("\r\n".utf8),
        Array("--prefix".utf8), Array("--".utf8), Array("-".utf8), Array("@tag".utf8), Array("END".utf8),
        Array("then".utf8), Array("Else".utf8), Array("PUT".utf8), Array("txn".utf8), Array("=".utf8),
        Array("!=".utf8), Array("<".utf8), Array("value".utf8), Array("a=b".utf8), Array("KV".utf8),
        Array("OK".utf8), Array("\"quoted\"".utf8), Array("café".utf8), [0xc3], Array("x\"y".utf8),
    ]
    static let palette: [UInt8] = Array("abcXYZ019-_.=@\"\\ \t\n\r".utf8) + [0, 1, 0x7f, 0x80, 0xc3, 0xa9, 0xfe, 0xff]

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func bytes() -> [UInt8] {
        switch int(0...3) {
        case 0: return Fuzz.awkwardWords.randomElement(using: &rng)!
        case 1: return (0..<int(1...12)).map { _ in UInt8(ascii: "a") + UInt8(int(0...25)) }
        default: return (0..<int(0...10)).map { _ in Fuzz.palette.randomElement(using: &rng)! }
        }
    }

    mutating func int64() -> Int64 {
        switch int(0...4) {
        case 0: return 0
        case 1: return [Int64.min, Int64.max, -1, 1].randomElement(using: &rng)!
        case 2: return Int64.random(in: Int64.min...Int64.max, using: &rng)
        default: return Int64(int(0...1000))
        }
    }

    mutating func uint64() -> UInt64 {
        bool() ? UInt64.random(in: 0...UInt64.max, using: &rng) : [0, 1, UInt64.max].randomElement(using: &rng)!
    }

    mutating func text() -> String {
        bool() ? String(decoding: (0..<int(0...8)).map { _ in UInt8(ascii: "a") + UInt8(int(0...25)) }, as: UTF8.self)
            : ["", "a b", "quote\"d", "back\\slash", "new\nline", "ünïcode", "http://127.0.0.1:2379"].randomElement(using: &rng)!
    }

    /// Texts that are bare words (versions, server names).
    mutating func word() -> String {
        ["3.5.0", "0.1.0", "kvserver", "1.2.3-rc.1+build"].randomElement(using: &rng)!
    }

    // MARK: Requests

    mutating func range() -> RangeRequest {
        RangeRequest(key: bytes(), rangeEnd: bool() ? [] : bytes(), limit: int64(), revision: int64(),
                     sortOrder: SortOrder(rawValue: int(0...2))!, sortTarget: SortTarget(rawValue: int(0...4))!,
                     serializable: bool(), keysOnly: bool(), countOnly: bool(),
                     minModRevision: int64(), maxModRevision: int64(), minCreateRevision: int64(), maxCreateRevision: int64())
    }

    mutating func put() -> PutRequest {
        PutRequest(key: bytes(), value: bytes(), lease: int64(), prevKV: bool(), ignoreValue: bool(), ignoreLease: bool())
    }

    mutating func delete() -> DeleteRangeRequest {
        DeleteRangeRequest(key: bytes(), rangeEnd: bool() ? [] : bytes(), prevKV: bool())
    }

    mutating func compare() -> Compare {
        let target: Compare.Target = switch int(0...4) {
        case 0: .value(bytes())
        case 1: .version(int64())
        case 2: .createRevision(int64())
        case 3: .modRevision(int64())
        default: .lease(int64())
        }
        return Compare(key: bytes(), rangeEnd: bool() ? [] : bytes(), result: Compare.Result(rawValue: int(0...3))!, target: target)
    }

    mutating func txn(depth: Int) -> TxnRequest {
        TxnRequest(compare: (0..<int(0...3)).map { _ in compare() },
                   success: (0..<int(0...3)).map { _ in op(depth: depth) },
                   failure: (0..<int(0...3)).map { _ in op(depth: depth) })
    }

    mutating func op(depth: Int) -> RequestOp {
        switch int(0...(depth > 0 ? 3 : 2)) {
        case 0: .range(range())
        case 1: .put(put())
        case 2: .deleteRange(delete())
        default: .txn(txn(depth: depth - 1))
        }
    }

    mutating func permission() -> Permission {
        Permission(kind: Permission.Kind(rawValue: int(0...2))!, key: bytes(), rangeEnd: bool() ? [] : bytes())
    }

    /// Names and passwords: any text, including spaces, quotes, `--options` and non-ASCII.
    mutating func secretText() -> String {
        bool() ? text() : ["--prefix", "--no-password", "-", "pass word", "END", "@t1", ""].randomElement(using: &rng)!
    }

    mutating func authRequest() -> Request {
        switch int(0...16) {
        case 0: return .authenticate(AuthenticateRequest(name: secretText(), password: secretText()))
        case 1: return .auth(.enable)
        case 2: return .auth(.disable)
        case 3: return .auth(.status)
        case 4: return .auth(.userAdd(name: secretText(), password: bool() ? nil : secretText()))
        case 5: return .auth(.userDelete(secretText()))
        case 6: return .auth(.userGet(secretText()))
        case 7: return .auth(.userList)
        case 8: return .auth(.userChangePassword(name: secretText(), password: secretText()))
        case 9: return .auth(.userGrantRole(user: secretText(), role: secretText()))
        case 10: return .auth(.userRevokeRole(user: secretText(), role: secretText()))
        case 11: return .auth(.roleAdd(secretText()))
        case 12: return .auth(.roleDelete(secretText()))
        case 13: return .auth(.roleGet(secretText()))
        case 14: return .auth(.roleList)
        case 15: return .auth(.roleGrantPermission(role: secretText(), permission: permission()))
        default:
            let p = permission()
            return .auth(.roleRevokePermission(role: secretText(), key: p.key, rangeEnd: p.rangeEnd))
        }
    }

    mutating func authResponse() -> Response {
        let kinds: [CommandKind] = [.authenticate, .authEnable, .authDisable, .authStatus, .userAdd, .userDelete, .userGet,
                                    .userList, .userPasswd, .userGrant, .userRevoke, .roleAdd, .roleDelete, .roleGet,
                                    .roleList, .roleGrant, .roleRevoke]
        let kind = kinds.randomElement(using: &rng)!
        var response = AuthResponse(header: header())
        switch kind {
        case .authStatus:
            response.enabled = bool()
            response.authRevision = uint64()
        case .userList: response.users = (0..<int(0...3)).map { _ in secretText() }
        case .userGet, .roleList: response.roles = (0..<int(0...3)).map { _ in secretText() }
        case .roleGet: response.permissions = (0..<int(0...3)).map { _ in permission() }
        default: break
        }
        return .auth(kind, response)
    }

    mutating func request() -> Request {
        switch int(0...21) {
        case 20, 21: authRequest()
        case 0: .hello(HelloRequest(protocolVersion: int64()))
        case 1: .ping
        case 2: .range(range())
        case 3: .put(put())
        case 4: .deleteRange(delete())
        case 5: .txn(txn(depth: 3))
        case 6: .compact(CompactionRequest(revision: int64(), physical: bool()))
        case 7: .status
        case 8: .memberList
        case 9: .health
        case 10: .hashKV(HashKVRequest(revision: int64()))
        case 11: .leasedPut(LeasedPutRequest(put: PutRequest(key: bytes(), value: bytes(), prevKV: bool()), ttl: int64()))
        case 12: .leaseGrant(LeaseGrantRequest(ttl: int64(), id: int64(), keys: (0..<int(0...3)).map { _ in bytes() }))
        case 13: .leaseRevoke(int64())
        case 14: .leaseKeepAlive(int64())
        case 15: .leaseTimeToLive(LeaseTimeToLiveRequest(id: int64(), keys: bool()))
        case 16: .leaseList
        case 17: .watch(WatchRequest(key: bytes(), rangeEnd: bool() ? [] : bytes(), startRevision: int64(), prevKV: bool(),
                                     noPut: bool(), noDelete: bool(), progressNotify: bool(), watchID: int64()))
        case 18: .unwatch(int64())
        default: .progress
        }
    }

    mutating func tag() -> RequestTag? {
        bool() ? nil : RequestTag(String(decoding: (0..<int(1...32)).map { _ in Array("aZ09_.-".utf8).randomElement(using: &rng)! }, as: UTF8.self))
    }

    // MARK: Responses

    mutating func header() -> ResponseHeader {
        ResponseHeader(clusterID: uint64(), memberID: uint64(), revision: int64(), raftTerm: uint64())
    }

    mutating func keyValue() -> KeyValue {
        KeyValue(key: bytes(), value: bytes(), createRevision: int64(), modRevision: int64(), version: int64(), lease: int64())
    }

    mutating func rangeResponse() -> RangeResponse {
        RangeResponse(header: header(), kvs: (0..<int(0...4)).map { _ in keyValue() }, more: bool(), count: int64())
    }

    mutating func putResponse() -> PutResponse {
        PutResponse(header: header(), prevKV: bool() ? keyValue() : nil)
    }

    mutating func deleteResponse() -> DeleteRangeResponse {
        DeleteRangeResponse(header: header(), deleted: int64(), prevKVs: (0..<int(0...3)).map { _ in keyValue() })
    }

    mutating func txnResponse(depth: Int) -> TxnResponse {
        TxnResponse(header: header(), succeeded: bool(), responses: (0..<int(0...4)).map { _ in
            switch int(0...(depth > 0 ? 3 : 2)) {
            case 0: .range(rangeResponse())
            case 1: .put(putResponse())
            case 2: .deleteRange(deleteResponse())
            default: .txn(txnResponse(depth: depth - 1))
            }
        })
    }

    mutating func watchResponse() -> WatchResponse {
        WatchResponse(header: header(), watchID: int64(), created: bool(), canceled: bool(), compactRevision: int64(),
                      cancelReason: bool() ? "" : text(), events: (0..<int(0...3)).map { _ in
            Event(type: bool() ? .put : .delete, kv: keyValue(), prevKV: bool() ? keyValue() : nil)
        })
    }

    mutating func leasedPut() -> Response {
        let put = putResponse()
        return .leasedPut(LeasedPutResponse(lease: LeaseGrantResponse(header: put.header, id: int64(), ttl: int64()), put: put))
    }

    mutating func response() -> Response {
        switch int(0...22) {
        case 21, 22: authResponse()
        case 0: .hello(HelloResponse(protocolVersion: int64(), server: word(), version: word()))
        case 1: .pong
        case 2: .range(rangeResponse())
        case 3: .put(putResponse())
        case 4: .deleteRange(deleteResponse())
        case 5: .txn(txnResponse(depth: 3))
        case 6: .compact(CompactionResponse(header: header()))
        case 7: .status(StatusResponse(header: header(), version: word(), dbSize: int64(), dbSizeInUse: int64(),
                                       leader: uint64(), raftIndex: uint64(), raftTerm: uint64(), raftAppliedIndex: uint64(),
                                       compactRevision: int64(), isLearner: bool(), errors: (0..<int(0...2)).map { _ in text() }))
        case 8: .memberList(MemberListResponse(header: header(), members: (0..<int(0...3)).map { _ in
            Member(id: uint64(), name: text(), peerURLs: (0..<int(0...2)).map { _ in text() },
                   clientURLs: (0..<int(0...2)).map { _ in text() }, isLearner: bool())
        }))
        case 9: .health(HealthResponse(health: bool(), reason: text()))
        case 10: .hashKV(HashKVResponse(header: header(), hash: UInt32.random(in: 0...UInt32.max, using: &rng),
                                        compactRevision: int64(), hashRevision: int64()))
        case 11: leasedPut()
        case 12: .leaseGrant(LeaseGrantResponse(header: header(), id: int64(), ttl: int64()))
        case 13: .leaseRevoke(LeaseRevokeResponse(header: header()))
        case 14: .leaseKeepAlive(LeaseKeepAliveResponse(header: header(), id: int64(), ttl: int64()))
        case 15: .leaseTimeToLive(LeaseTimeToLiveResponse(header: header(), id: int64(), ttl: int64(), grantedTTL: int64(),
                                                          keys: (0..<int(0...3)).map { _ in bytes() }))
        case 16: .leaseList(LeaseLeasesResponse(header: header(), leases: (0..<int(0...4)).map { _ in int64() }))
        case 17: .watch(watchResponse())
        case 18: .unwatch(watchResponse())
        default: .progress(header())
        }
    }

    mutating func storeError() -> StoreError {
        switch int(0...12) {
        case 0: .emptyKey
        case 1: .compacted(requested: int64(), compactedRevision: int64())
        case 2: .futureRevision(requested: int64(), currentRevision: int64())
        case 3: .keyNotFound
        case 4: .valueProvided
        case 5: .leaseProvided
        case 6: .duplicateKey
        case 7: .tooManyOperations(count: int(0...1000), limit: int(0...1000))
        case 8: .leaseNotFound(id: int64())
        case 9: .leaseExists(id: int64())
        case 10: .leaseTTLTooLarge(ttl: int64())
        case 11: .spaceExceeded
        default: .requestTooLarge(size: int(0...10_000_000), limit: int(0...10_000_000))
        }
    }
}
