import EtcdWire
import KVProtocol
import KVStore
import Protobuf
import Testing

@Suite struct MalformedInputTests {
    @Test func truncatedVarint() {
        #expect(throws: EtcdWireError.malformed(.truncated)) { try EtcdWire.decodeRequest(.put, [0x18, 0x80]) }
        #expect(throws: EtcdWireError.malformed(.truncated)) { try EtcdWire.decodeRequest(.range, [0x80]) }
    }

    @Test func overlongVarint() {
        #expect(throws: EtcdWireError.malformed(.malformedVarint)) {
            try EtcdWire.decodeRequest(.leaseKeepAlive, [0x08] + [UInt8](repeating: 0xff, count: 10) + [0x01])
        }
    }

    @Test func wrongWireTypes() {
        // PutRequest.key as a varint; lease as bytes.
        #expect(throws: EtcdWireError.malformed(.wrongWireType(field: 1, expected: .lengthDelimited, got: .varint))) {
            try EtcdWire.decodeRequest(.put, [0x08, 0x01])
        }
        #expect(throws: EtcdWireError.malformed(.wrongWireType(field: 3, expected: .varint, got: .lengthDelimited))) {
            try EtcdWire.decodeRequest(.put, [0x1a, 0x00])
        }
        #expect(throws: EtcdWireError.malformed(.wrongWireType(field: 1, expected: .lengthDelimited, got: .fixed32))) {
            try EtcdWire.decodeRequest(.userGet, [0x0d, 1, 2, 3, 4])
        }
    }

    @Test func hugeLengthPrefixes() {
        let huge: [UInt8] = [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]
        for method in EtcdMethod.allCases {
            #expect(throws: EtcdWireError.self) { try EtcdWire.decodeRequest(method, huge + [1, 2, 3]) }
        }
    }

    @Test func emptyRequestOpIsEtcdsKeyNotFound() {
        #expect(throws: EtcdWireError.rejected(.store(.keyNotFound))) { try EtcdWire.decodeRequest(.txn, [0x12, 0x00]) }
        #expect(EtcdWire.status(for: EtcdWireError.rejected(.store(.keyNotFound)))
            == GRPCStatus(.invalidArgument, "etcdserver: key not found"))
    }

    @Test func enumValuesEtcdDoesNotDefine() throws {
        #expect(throws: EtcdWireError.self) { try EtcdWire.decodeRequest(.range, [0x30, 0x09]) }
        // An unknown sort order sorts nothing in etcd: NONE by KEY.
        #expect(try EtcdWire.decodeRequest(.range, [0x28, 0x07, 0x30, 0x02]) == .request(.range(RangeRequest(key: []))))
        #expect(throws: EtcdWireError.self) { try EtcdWire.decodeRequest(.txn, [0x0a, 0x02, 0x08, 0x07]) }
        #expect(throws: EtcdWireError.self) { try EtcdWire.decodeRequest(.txn, [0x0a, 0x02, 0x10, 0x07]) }
        #expect(throws: EtcdWireError.self) {
            try EtcdWire.decodeRequest(.roleGrantPermission, [0x12, 0x02, 0x08, 0x05])
        }
        // Unknown watch filters are ignored, as etcd ignores them.
        #expect(try EtcdWire.decodeRequest(.watch, [0x0a, 0x02, 0x28, 0x09]) == .watch(.create(WatchRequest(key: []), fragment: false)))
    }

    @Test func compareAgainstAMismatchedUnionMemberIsZero() throws {
        // target MOD, but the value set is `version = 5`: etcd compares against 0.
        let call = try EtcdWire.decodeRequest(.txn, [0x0a, 0x04, 0x10, 0x02, 0x20, 0x05])
        #expect(call == .request(.txn(TxnRequest(compare: [Compare(key: [], result: .equal, target: .modRevision(0))]))))
    }

    @Test func invalidUTF8InNames() {
        #expect(throws: EtcdWireError.malformed(.invalidUTF8(field: 1))) {
            try EtcdWire.decodeRequest(.roleAdd, [0x0a, 0x01, 0xff])
        }
    }

    /// A transaction `levels` levels deep (the outer one is level 0).
    func nestedTxn(_ levels: Int) -> TxnRequest {
        var txn = TxnRequest(success: [.put(PutRequest(key: [1], value: []))])
        for _ in 0..<levels { txn = TxnRequest(success: [.txn(txn)]) }
        return txn
    }

    @Test func txnNestingIsBoundedLikeEtcd() throws {
        let deepest = nestedTxn(TxnLimits.maximumNestingDepth)
        #expect(try EtcdWire.decodeRequest(.txn, deepest.encoded()) == .request(.txn(deepest)))
        let tooDeep = nestedTxn(TxnLimits.maximumNestingDepth + 1)
        #expect(throws: EtcdWireError.rejected(.store(.tooManyOperations(count: 129, limit: 128)))) {
            try EtcdWire.decodeRequest(.txn, tooDeep.encoded())
        }
        #expect(EtcdWire.status(for: EtcdWireError.rejected(.store(.tooManyOperations(count: 129, limit: 128))))
            == GRPCStatus(.invalidArgument, "etcdserver: too many operations in txn request"))
    }

    @Test func deepGenericNestingIsRefused() {
        // TxnResponse { responses: ResponseOp { response_txn: TxnResponse { … } } }, 200 levels: 400 messages.
        var bytes: [UInt8] = []
        for _ in 0..<200 {
            let op = [0x22] + varint(bytes.count) + bytes
            bytes = [0x1a] + varint(op.count) + op
        }
        #expect(throws: EtcdWireError.malformed(.nestingTooDeep(limit: EtcdWire.maximumDepth))) {
            try TxnResponse(protobuf: bytes)
        }
    }

    func varint(_ value: Int) -> [UInt8] {
        Protobuf.encode(size: Protobuf.varintSize(UInt64(value))) { $0.writeVarint(UInt64(value)) }
    }

    @Test func malformedIsGRPCsUnmarshalError() {
        let status = EtcdWire.status(for: EtcdWireError.malformed(.truncated))
        #expect(status.code == .internal)
        #expect(status.message == "grpc: error unmarshalling request: truncated message: the input ends inside a field")
    }
}
