import EtcdWire
import KVProtocol
import KVStore
import Testing

/// Encodings checked byte for byte against protobuf bytes computed by hand from etcd's field numbers
/// (each comment names the field: tag byte = field << 3 | wire type).
@Suite struct ByteExactTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func putRequest() throws {
        let put = PutRequest(key: bytes("foo"), value: bytes("bar"), lease: 300, prevKV: true)
        let expected: [UInt8] = [
            0x0a, 0x03, 0x66, 0x6f, 0x6f, // key = "foo"
            0x12, 0x03, 0x62, 0x61, 0x72, // value = "bar"
            0x18, 0xac, 0x02, // lease = 300
            0x20, 0x01, // prev_kv = true
        ]
        #expect(put.encoded() == expected)
        #expect(put.encodedSize == expected.count)
        #expect(try EtcdWire.decodeRequest(.put, expected) == .request(.put(put)))
    }

    @Test func negativeIntegersTakeTenBytes() {
        #expect(CompactionRequest(revision: -1).encoded() == [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x01])
    }

    @Test func rangeResponseWithTwoKeyValues() throws {
        let response = RangeResponse(
            header: ResponseHeader(clusterID: 1, memberID: 2, revision: 5, raftTerm: 3),
            kvs: [KeyValue(key: bytes("a"), value: bytes("x"), createRevision: 2, modRevision: 3, version: 1),
                  KeyValue(key: bytes("b"), value: [], createRevision: 4, modRevision: 5, version: 2, lease: 7)],
            more: false, count: 2)
        let expected: [UInt8] = [
            0x0a, 0x08, 0x08, 0x01, 0x10, 0x02, 0x18, 0x05, 0x20, 0x03, // header {1, 2, 5, 3}
            0x12, 0x0c, 0x0a, 0x01, 0x61, 0x10, 0x02, 0x18, 0x03, 0x20, 0x01, 0x2a, 0x01, 0x78, // kvs[0]
            0x12, 0x0b, 0x0a, 0x01, 0x62, 0x10, 0x04, 0x18, 0x05, 0x20, 0x02, 0x30, 0x07, // kvs[1]: no value, lease 7
            0x20, 0x02, // count = 2 (more = false omitted)
        ]
        #expect(EtcdWire.encodeResponse(.range(response)) == expected)
        #expect(EtcdWire.responseSize(.range(response)) == expected.count)
        #expect(try RangeResponse(protobuf: expected) == response)
    }

    @Test func nestedTxn() throws {
        let txn = TxnRequest(
            compare: [Compare(key: bytes("k"), result: .equal, target: .version(0))],
            success: [.txn(TxnRequest(success: [.put(PutRequest(key: bytes("k"), value: bytes("v")))]))],
            failure: [.range(RangeRequest(key: bytes("k")))])
        let expected: [UInt8] = [
            // compare[0]: result EQUAL and target VERSION are 0 (omitted); key "k"; version = 0 (a set oneof member)
            0x0a, 0x05, 0x1a, 0x01, 0x6b, 0x20, 0x00,
            // success[0]: RequestOp { request_txn { success[0]: RequestOp { request_put { key "k", value "v" } } } }
            0x12, 0x0c, 0x22, 0x0a, 0x12, 0x08, 0x12, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76,
            // failure[0]: RequestOp { request_range { key "k" } }
            0x1a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x6b,
        ]
        #expect(txn.encoded() == expected)
        #expect(try EtcdWire.decodeRequest(.txn, expected) == .request(.txn(txn)))
    }

    @Test func compareRangeEndIsField64() {
        let compare = Compare(key: bytes("a"), rangeEnd: bytes("b"), result: .notEqual, target: .value(bytes("v")))
        #expect(compare.encoded() == [0x08, 0x03, 0x10, 0x03, 0x1a, 0x01, 0x61, 0x3a, 0x01, 0x76, 0x82, 0x04, 0x01, 0x62])
    }

    @Test func watchResponseWithEvents() throws {
        let response = WatchResponse(
            header: ResponseHeader(revision: 9), watchID: 1,
            events: [Event(type: .put, kv: KeyValue(key: bytes("a"), value: bytes("1"), createRevision: 9, modRevision: 9, version: 1)),
                     Event(type: .delete, kv: KeyValue(key: bytes("b"), value: [], createRevision: 0, modRevision: 9, version: 0),
                           prevKV: KeyValue(key: bytes("b"), value: bytes("z"), createRevision: 3, modRevision: 4, version: 2))])
        let expected: [UInt8] = [
            0x0a, 0x02, 0x18, 0x09, // header { revision 9 }
            0x10, 0x01, // watch_id = 1
            // events[0] (field 11): type PUT omitted; kv
            0x5a, 0x0e, 0x12, 0x0c, 0x0a, 0x01, 0x61, 0x10, 0x09, 0x18, 0x09, 0x20, 0x01, 0x2a, 0x01, 0x31,
            // events[1]: type DELETE; kv { key "b", mod 9 }; prev_kv
            0x5a, 0x17, 0x08, 0x01, 0x12, 0x05, 0x0a, 0x01, 0x62, 0x18, 0x09,
            0x1a, 0x0c, 0x0a, 0x01, 0x62, 0x10, 0x03, 0x18, 0x04, 0x20, 0x02, 0x2a, 0x01, 0x7a,
        ]
        #expect(EtcdWire.encodeResponse(.watch(response)) == expected)
        #expect(try WatchResponse(protobuf: expected) == response)
    }

    @Test func watchCreateWithFiltersIsPacked() throws {
        let create = EtcdWatchRequest.create(WatchRequest(key: bytes("a"), noPut: true, noDelete: true), fragment: true)
        let expected: [UInt8] = [0x0a, 0x09, 0x0a, 0x01, 0x61, 0x2a, 0x02, 0x00, 0x01, 0x40, 0x01]
        #expect(create.encoded() == expected)
        #expect(try EtcdWire.decodeRequest(.watch, expected) == .watch(create))
        // The same filters unpacked, as older encoders write them.
        let unpacked: [UInt8] = [0x0a, 0x09, 0x0a, 0x01, 0x61, 0x28, 0x00, 0x28, 0x01, 0x40, 0x01]
        #expect(try EtcdWire.decodeRequest(.watch, unpacked) == .watch(create))
    }

    @Test func leaseKeepAliveAndProgress() throws {
        #expect(try EtcdWire.decodeRequest(.leaseKeepAlive, [0x08, 0x7b]) == .request(.leaseKeepAlive(123)))
        let reply = LeaseKeepAliveResponse(header: ResponseHeader(revision: 2), id: 123, ttl: 60)
        #expect(EtcdWire.encodeResponse(.leaseKeepAlive(reply)) == [0x0a, 0x02, 0x18, 0x02, 0x10, 0x7b, 0x18, 0x3c])
        // A progress notification: watch id -1.
        #expect(EtcdWire.encodeResponse(.progress(ResponseHeader(revision: 3)))
            == [0x0a, 0x02, 0x18, 0x03, 0x10] + [UInt8](repeating: 0xff, count: 9) + [0x01])
    }

    @Test func emptyHeaderIsStillWritten() {
        #expect(EtcdWire.encodeResponse(.compact(CompactionResponse(header: ResponseHeader(revision: 0)))) == [0x0a, 0x00])
    }

    @Test func authResponsesByKind() {
        let header = ResponseHeader(revision: 1)
        #expect(EtcdWire.encodeResponse(.auth(.authStatus, AuthResponse(header: header, enabled: true, authRevision: 4)))
            == [0x0a, 0x02, 0x18, 0x01, 0x10, 0x01, 0x18, 0x04])
        #expect(EtcdWire.encodeResponse(.auth(.userList, AuthResponse(header: header, users: ["a", ""])))
            == [0x0a, 0x02, 0x18, 0x01, 0x12, 0x01, 0x61, 0x12, 0x00])
        #expect(EtcdWire.encodeResponse(.auth(.roleGet, AuthResponse(header: header, permissions: [
            Permission(kind: .readwrite, key: [0x61], rangeEnd: [0x62])])))
            == [0x0a, 0x02, 0x18, 0x01, 0x12, 0x08, 0x08, 0x02, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x62])
        #expect(EtcdWire.encodeResponse(.auth(.authenticate, AuthResponse(header: header))) == nil)
        #expect(EtcdAuthenticateResponse(header: header, token: "t").encoded() == [0x0a, 0x02, 0x18, 0x01, 0x12, 0x01, 0x74])
    }

    @Test func repliesWithoutAnEtcdMessage() {
        #expect(EtcdWire.encodeResponse(.pong) == nil)
        #expect(EtcdWire.encodeResponse(.health(HealthResponse(health: true))) == nil)
        #expect(EtcdWire.responseSize(.pong) == nil)
    }

    @Test func appendAfterAFramePrefix() {
        var output: [UInt8] = [0, 0, 0, 0, 4]
        #expect(EtcdWire.appendResponse(.compact(CompactionResponse(header: ResponseHeader(revision: 1))), to: &output))
        #expect(output == [0, 0, 0, 0, 4, 0x0a, 0x02, 0x18, 0x01])
    }
}
