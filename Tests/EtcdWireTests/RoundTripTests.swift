import EtcdWire
import KVProtocol
import KVStore
import Protobuf
import Testing

/// decode(encode(x)) == x over randomized messages of every request and response, both directions.
@Suite struct RoundTripTests {
    static let seed: UInt64 = 0x5eed_e7cd

    @Test func everyRequestRoundTrips() throws {
        var generator = MessageGenerator(seed: Self.seed)
        var methods = Set<EtcdMethod>()
        for _ in 0..<3_000 {
            let call = generator.call()
            let (method, message) = try #require(EtcdWire.encodeRequest(call))
            methods.insert(method)
            #expect(try EtcdWire.decodeRequest(method, message) == call, "seed \(Self.seed): \(call)")
        }
        // Every method was exercised.
        #expect(methods == Set(EtcdMethod.allCases))
    }

    @Test func everyResponseRoundTrips() throws {
        var generator = MessageGenerator(seed: Self.seed &+ 1)
        for _ in 0..<2_000 {
            let (method, response) = generator.response()
            let bytes = try #require(EtcdWire.encodeResponse(response))
            #expect(bytes.count == EtcdWire.responseSize(response))
            #expect(try EtcdWire.decodeResponse(method, bytes) == response, "seed \(Self.seed &+ 1): \(response)")
        }
    }

    @Test func etcdWireMessagesRoundTrip() throws {
        var generator = MessageGenerator(seed: Self.seed &+ 2)
        for _ in 0..<200 {
            let header = generator.header()
            let alarm = EtcdAlarmResponse(header: header, alarms: [EtcdAlarmMember(memberID: generator.uint64(), alarm: .noSpace),
                                                                   EtcdAlarmMember(memberID: 0, alarm: .init(rawValue: 9))])
            #expect(try EtcdAlarmResponse(protobuf: alarm.encoded()) == alarm)
            let hash = EtcdHashResponse(header: header, hash: UInt32(truncatingIfNeeded: generator.uint64()))
            #expect(try EtcdHashResponse(protobuf: hash.encoded()) == hash)
            let snapshot = EtcdSnapshotResponse(header: header, remainingBytes: generator.uint64(), blob: generator.bytes(max: 100))
            #expect(try EtcdSnapshotResponse(protobuf: snapshot.encoded()) == snapshot)
            let add = EtcdMemberAddResponse(header: header, member: generator.member(), members: [generator.member()])
            #expect(try EtcdMemberAddResponse(protobuf: add.encoded()) == add)
            let login = EtcdAuthenticateResponse(header: header, token: generator.string())
            #expect(try EtcdAuthenticateResponse(protobuf: login.encoded()) == login)
            let downgrade = EtcdDowngradeResponse(header: header, version: generator.string())
            #expect(try EtcdDowngradeResponse(protobuf: downgrade.encoded()) == downgrade)
            let empty = EtcdHeaderResponse(header: header)
            #expect(try EtcdHeaderResponse(protobuf: empty.encoded()) == empty)
            let fragmented = EtcdWatchResponse(WatchResponse(header: header, watchID: 3, events: [generator.event()]), fragment: true)
            #expect(try EtcdWatchResponse(protobuf: fragmented.encoded()) == fragmented)
        }
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let put = PutRequest(key: [1], value: [2], lease: 3)
        let unknown: [UInt8] = [
            0x38, 0x05, // 7: varint
            0x41, 1, 2, 3, 4, 5, 6, 7, 8, // 8: fixed64
            0x4a, 0x02, 0x00, 0x00, // 9: bytes
            0x53, 0x08, 0x01, 0x54, // 10: group { 1: 1 }
            0x5d, 1, 2, 3, 4, // 11: fixed32
        ]
        #expect(try EtcdWire.decodeRequest(.put, unknown + put.encoded() + unknown) == .request(.put(put)))
        // Unknown fields in nested messages too.
        let txn = TxnRequest(success: [.put(put)])
        let withUnknown: [UInt8] = unknown + [0x12, UInt8(put.encodedSize + 2 + unknown.count), 0x12,
                                              UInt8(put.encodedSize + unknown.count)] + put.encoded() + unknown
        #expect(try EtcdWire.decodeRequest(.txn, withUnknown) == .request(.txn(txn)))
    }

    @Test func lastScalarWinsAndMessagesMerge() throws {
        // lease = 1, then lease = 2; key "a" then key "b".
        let bytes: [UInt8] = [0x18, 0x01, 0x0a, 0x01, 0x61, 0x18, 0x02, 0x0a, 0x01, 0x62]
        #expect(try EtcdWire.decodeRequest(.put, bytes) == .request(.put(PutRequest(key: [0x62], value: [], lease: 2))))
        // Two header fields merge: revision from the first, raft_term from the second.
        let response: [UInt8] = [0x0a, 0x02, 0x18, 0x05, 0x0a, 0x02, 0x20, 0x07]
        #expect(try CompactionResponse(protobuf: response).header == ResponseHeader(revision: 5, raftTerm: 7))
    }

    @Test func defaultsDecodeFromNothing() throws {
        #expect(try EtcdWire.decodeRequest(.range, []) == .request(.range(RangeRequest(key: []))))
        #expect(try EtcdWire.decodeRequest(.watch, []) == .watch(.none))
        #expect(EtcdWatchRequest.none.request == nil)
        #expect(try EtcdWire.decodeRequest(.status, []) == .request(.status))
        #expect(try EtcdWire.decodeRequest(.userAdd, [0x0a, 0x01, 0x75, 0x1a, 0x02, 0x08, 0x01])
            == .request(.auth(.userAdd(name: "u", password: nil))))
    }

    @Test func watchCreateMapsLikeEtcd() {
        // etcd's watch server watches from "\0" when the key is empty.
        let create = EtcdWatchRequest.create(WatchRequest(key: [], rangeEnd: [0]), fragment: false)
        #expect(create.request == .watch(WatchRequest(key: [0], rangeEnd: [0])))
        #expect(EtcdWatchRequest.cancel(watchID: 4).request == .unwatch(4))
        #expect(EtcdWatchRequest.progress.request == .progress)
    }

    @Test func watchFragmentsLikeEtcd() throws {
        var generator = MessageGenerator(seed: Self.seed &+ 3)
        let events = (0..<20).map { _ in Event(type: .put, kv: KeyValue(key: generator.bytes(max: 8, nonEmpty: true),
                                                                        value: [UInt8](repeating: 1, count: 50),
                                                                        createRevision: 1, modRevision: 2, version: 1)) }
        let response = WatchResponse(header: ResponseHeader(revision: 2), watchID: 1, events: events)
        let pieces = EtcdWatchResponse.fragments(of: response, maxBytes: 200)
        #expect(pieces.count > 1)
        #expect(pieces.flatMap(\.response.events) == events)
        #expect(pieces.dropLast().allSatisfy { $0.fragment })
        #expect(try #require(pieces.last).fragment == false)
        for piece in pieces where piece.response.events.count > 1 { #expect(piece.encodedSize < 200) }
        #expect(EtcdWatchResponse.fragments(of: response, maxBytes: 1 << 20) == [EtcdWatchResponse(response)])
    }
}
