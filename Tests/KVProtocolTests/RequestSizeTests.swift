import KVStore
import Testing
@testable import KVProtocol

/// `Request.encodedSize` is the length of etcd's protobuf encoding of the request: checked against
/// encodings written out by hand from etcd's `rpc.proto`, and against a byte-writing encoder over
/// random requests.
@Suite struct RequestSizeTests {
    /// (request, its encoding as etcd's gRPC message, byte by byte).
    static let examples: [(Request, [UInt8])] = [
        (.put(PutRequest(key: b("k"), value: b("v"))), [0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76]),
        (.put(PutRequest(key: b("k"), value: [], lease: -1, prevKV: true)),
         [0x0a, 0x01, 0x6b, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x20, 0x01]),
        (.range(RangeRequest(key: b("a"), rangeEnd: [0], limit: 300, sortOrder: .descend, sortTarget: .mod)),
         [0x0a, 0x01, 0x61, 0x12, 0x01, 0x00, 0x18, 0xac, 0x02, 0x28, 0x02, 0x30, 0x03]),
        (.deleteRange(DeleteRangeRequest(key: b("ab"), prevKV: true)), [0x0a, 0x02, 0x61, 0x62, 0x18, 0x01]),
        // Compare{result: EQUAL, target: VERSION, key: "k", version: 0 (a oneof member: written), range_end: "z" (field 64)}
        (.txn(TxnRequest(compare: [Compare(key: b("k"), rangeEnd: b("z"), result: .equal, target: .version(0))])),
         [0x0a, 0x09, 0x1a, 0x01, 0x6b, 0x20, 0x00, 0x82, 0x04, 0x01, 0x7a]),
        // TxnRequest{success: [RequestOp{request_txn: TxnRequest{failure: [RequestOp{request_delete_range: {key: "k"}}]}}]}
        (.txn(TxnRequest(success: [.txn(TxnRequest(failure: [.deleteRange(DeleteRangeRequest(key: b("k")))]))])),
         [0x12, 0x09, 0x22, 0x07, 0x1a, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x6b]),
        (.txn(TxnRequest()), []),
        (.leaseGrant(LeaseGrantRequest(ttl: 60, id: 0)), [0x08, 0x3c]),
        (.leaseKeepAlive(0x694d), [0x08, 0xcd, 0xd2, 0x01]),
        (.compact(CompactionRequest(revision: 5, physical: true)), [0x08, 0x05, 0x10, 0x01]),
        // WatchRequest{create_request: {key: "w", start_revision: 2, filters: [NOPUT, NODELETE], prev_kv: true}}
        (.watch(WatchRequest(key: b("w"), startRevision: 2, prevKV: true, noPut: true, noDelete: true)),
         [0x0a, 0x0b, 0x0a, 0x01, 0x77, 0x18, 0x02, 0x2a, 0x02, 0x00, 0x01, 0x30, 0x01]),
        (.progress, [0x1a, 0x00]),
        (.authenticate(AuthenticateRequest(name: "al", password: "pw")), [0x0a, 0x02, 0x61, 0x6c, 0x12, 0x02, 0x70, 0x77]),
        (.auth(.userAdd(name: "u", password: nil)), [0x0a, 0x01, 0x75, 0x1a, 0x02, 0x08, 0x01]),
        (.auth(.roleGrantPermission(role: "r", permission: Permission(kind: .write, key: b("a"), rangeEnd: b("b")))),
         [0x0a, 0x01, 0x72, 0x12, 0x08, 0x08, 0x01, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x62]),
        (.ping, []),
        (.status, []),
    ]

    @Test func examplesHaveEtcdsEncodedSize() {
        for (request, encoding) in Self.examples {
            #expect(request.encodedSize == encoding.count, "\(request)")
            #expect(ReferenceEncoder.encode(request) == encoding, "the reference encoder agrees: \(request)")
        }
    }

    @Test func varintSizesAtEveryBoundary() {
        var value: UInt64 = 0
        #expect(Protobuf.varintSize(0) == 1)
        for bytes in 1...9 {
            value = (1 << UInt64(7 * bytes)) - 1
            #expect(Protobuf.varintSize(value) == bytes)
            #expect(Protobuf.varintSize(value + 1) == bytes + 1)
        }
        #expect(Protobuf.varintSize(.max) == 10)
        #expect(Protobuf.tagSize(15) == 1 && Protobuf.tagSize(16) == 2 && Protobuf.tagSize(64) == 2)
    }

    /// Random requests, nested transactions and awkward numbers included, against a byte-writing encoder.
    @Test(arguments: [1, 2, 3, 0x5eed] as [UInt64])
    func randomRequestsMatchTheReferenceEncoder(seed: UInt64) {
        var fuzz = Fuzz(seed: seed)
        for round in 0..<2000 {
            let request = fuzz.request()
            let expected = ReferenceEncoder.encode(request).count
            #expect(request.encodedSize == expected, "seed \(seed) round \(round): \(request)")
        }
    }

    /// Large values and lengths whose prefixes take several bytes.
    @Test(arguments: [0, 1, 127, 128, 16_383, 16_384, 1_000_000, 2_097_151, 2_097_152])
    func lengthPrefixesGrowWithTheValue(count: Int) {
        let put = Request.put(PutRequest(key: b("k"), value: [UInt8](repeating: 7, count: count)))
        #expect(put.encodedSize == ReferenceEncoder.encode(put).count)
        #expect(put.encodedSize == 3 + (count == 0 ? 0 : 1 + Protobuf.varintSize(UInt64(count)) + count))
    }

    /// The walk over nested transactions is iterative: a nesting far deeper than any decoder allows is
    /// measured without exhausting the stack.
    @Test func deeplyNestedTransactionsAreMeasuredWithoutRecursion() {
        var txn = TxnRequest(success: [.put(PutRequest(key: b("k"), value: b("v")))])
        var expected = 2 + 2 + 6
        for _ in 0..<20_000 {
            txn = TxnRequest(failure: [.txn(txn)])
            expected = 1 + Protobuf.varintSize(UInt64(expected + 1 + Protobuf.varintSize(UInt64(expected))))
                + 1 + Protobuf.varintSize(UInt64(expected)) + expected
        }
        #expect(Request.txn(txn).encodedSize == expected)
    }

    @Test func checkSizeRefusesOnlyAboveTheLimit() throws {
        let put = Request.put(PutRequest(key: b("k"), value: [UInt8](repeating: 1, count: 994)))
        #expect(put.encodedSize == 1000)
        try put.checkSize(limit: 1000)
        #expect(throws: StoreError.requestTooLarge(size: 1000, limit: 999)) { try put.checkSize(limit: 999) }
    }
}

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Writes etcd's protobuf encoding of a request, byte by byte (recursively: test inputs nest a little).
private struct ReferenceEncoder {
    var bytes: [UInt8] = []

    static func encode(_ request: Request) -> [UInt8] {
        var encoder = ReferenceEncoder()
        encoder.request(request)
        return encoder.bytes
    }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func key(_ field: Int, wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    mutating func int(_ field: Int, _ value: Int64, always: Bool = false) {
        guard value != 0 || always else { return }
        key(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) { if value { int(field, 1) } }

    mutating func bytes(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard !value.isEmpty || always else { return }
        key(field, wireType: 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func text(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ body: (inout ReferenceEncoder) -> Void) {
        var inner = ReferenceEncoder()
        body(&inner)
        bytes(field, inner.bytes, always: true)
    }

    mutating func range(_ r: RangeRequest) {
        bytes(1, r.key); bytes(2, r.rangeEnd); int(3, r.limit); int(4, r.revision)
        int(5, Int64(r.sortOrder.rawValue)); int(6, Int64(r.sortTarget.rawValue))
        bool(7, r.serializable); bool(8, r.keysOnly); bool(9, r.countOnly)
        int(10, r.minModRevision); int(11, r.maxModRevision); int(12, r.minCreateRevision); int(13, r.maxCreateRevision)
    }

    mutating func put(_ p: PutRequest) {
        bytes(1, p.key); bytes(2, p.value); int(3, p.lease); bool(4, p.prevKV); bool(5, p.ignoreValue); bool(6, p.ignoreLease)
    }

    mutating func delete(_ d: DeleteRangeRequest) { bytes(1, d.key); bytes(2, d.rangeEnd); bool(3, d.prevKV) }

    mutating func txn(_ t: TxnRequest) {
        for compare in t.compare {
            message(1) { c in
                c.int(1, Int64(compare.result.rawValue))
                switch compare.target {
                case .version(let v): c.int(2, 0); c.bytes(3, compare.key); c.int(4, v, always: true)
                case .createRevision(let v): c.int(2, 1); c.bytes(3, compare.key); c.int(5, v, always: true)
                case .modRevision(let v): c.int(2, 2); c.bytes(3, compare.key); c.int(6, v, always: true)
                case .value(let v): c.int(2, 3); c.bytes(3, compare.key); c.bytes(7, v, always: true)
                case .lease(let v): c.int(2, 4); c.bytes(3, compare.key); c.int(8, v, always: true)
                }
                c.bytes(64, compare.rangeEnd)
            }
        }
        for (field, ops) in [(2, t.success), (3, t.failure)] {
            for op in ops {
                message(field) { o in
                    switch op {
                    case .range(let r): o.message(1) { $0.range(r) }
                    case .put(let p): o.message(2) { $0.put(p) }
                    case .deleteRange(let d): o.message(3) { $0.delete(d) }
                    case .txn(let inner): o.message(4) { $0.txn(inner) }
                    }
                }
            }
        }
    }

    mutating func request(_ request: Request) {
        switch request {
        case .hello, .ping, .status, .memberList, .health, .snapshotNext, .leaseList, .defragment: break
        case .alarm(let action): int(1, action == .list ? 0 : 2)
        case .range(let r): range(r)
        case .put(let p): put(p)
        case .deleteRange(let d): delete(d)
        case .txn(let t): txn(t)
        case .compact(let c): int(1, c.revision); bool(2, c.physical)
        case .hashKV(let h): int(1, h.revision)
        case .snapshot(let s): int(1, s.revision)
        case .leasedPut(let l): int(1, l.ttl); put(l.put)
        case .leaseGrant(let g): int(1, g.ttl); int(2, g.id); for key in g.keys { bytes(3, key, always: true) }
        case .leaseRevoke(let id), .leaseKeepAlive(let id): int(1, id)
        case .leaseTimeToLive(let t): int(1, t.id); bool(2, t.keys)
        case .watch(let w):
            message(1) { c in
                c.bytes(1, w.key); c.bytes(2, w.rangeEnd); c.int(3, w.startRevision); c.bool(4, w.progressNotify)
                var filters: [UInt8] = []
                if w.noPut { filters.append(0) }
                if w.noDelete { filters.append(1) }
                c.bytes(5, filters)
                c.bool(6, w.prevKV); c.int(7, w.watchID)
            }
        case .unwatch(let id): message(2) { $0.int(1, id) }
        case .progress: message(3) { _ in }
        case .authenticate(let login): text(1, login.name); text(2, login.password)
        case .auth(let auth):
            switch auth {
            case .enable, .disable, .status, .userList, .roleList: break
            case .userAdd(let name, let password):
                text(1, name)
                if let password { text(2, password) } else { message(3) { $0.bool(1, true) } }
            case .userDelete(let name), .userGet(let name), .roleAdd(let name), .roleDelete(let name), .roleGet(let name):
                text(1, name)
            case .userChangePassword(let name, let password): text(1, name); text(2, password)
            case .userGrantRole(let user, let role), .userRevokeRole(let user, let role): text(1, user); text(2, role)
            case .roleGrantPermission(let role, let permission):
                text(1, role)
                message(2) { p in
                    p.int(1, Int64(permission.kind.rawValue)); p.bytes(2, permission.key); p.bytes(3, permission.rangeEnd)
                }
            case .roleRevokePermission(let role, let key, let rangeEnd): text(1, role); bytes(2, key); bytes(3, rangeEnd)
            }
        }
    }
}
