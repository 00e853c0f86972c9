import EtcdWire
import KVProtocol
import KVStore
import Testing

/// Prints how long the hot-path codecs take (no timed assertion: timings vary by machine and build).
/// Meaningful in a release build; in a debug build it shows the order of magnitude only.
@Suite struct SpeedTests {
    @Test func printHotPathTimings() throws {
        let put = PutRequest(key: Array("/registry/pods/default/web-0".utf8), value: [UInt8](repeating: 0x61, count: 128),
                             lease: 0x1234_5678, prevKV: true)
        let putBytes = put.encoded()
        let kvs = (0..<10).map { index in
            KeyValue(key: Array("/registry/pods/default/web-\(index)".utf8), value: [UInt8](repeating: 0x62, count: 128),
                     createRevision: 1_000 + Int64(index), modRevision: 2_000 + Int64(index), version: 3, lease: 0x1234_5678)
        }
        let range = Response.range(RangeResponse(header: ResponseHeader(clusterID: 0xdead_beef, memberID: 0x1234,
                                                                        revision: 123_456, raftTerm: 5),
                                                 kvs: kvs, more: false, count: 10))
        let rounds = 20_000
        var checksum = 0
        var start = ContinuousClock.now
        for _ in 0..<rounds {
            if case .request(.put(let decoded)) = try EtcdWire.decodeRequest(.put, putBytes) { checksum &+= decoded.key.count }
        }
        let decodeTime = ContinuousClock.now - start
        start = ContinuousClock.now
        for _ in 0..<rounds { checksum &+= EtcdWire.encodeResponse(range)?.count ?? 0 }
        let encodeTime = ContinuousClock.now - start
        func nanoseconds(_ duration: Duration) -> Int64 {
            (duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000) / Int64(rounds)
        }
        print("EtcdWire speed: PutRequest decode \(nanoseconds(decodeTime)) ns (\(putBytes.count) bytes); "
            + "RangeResponse with 10 kvs encode \(nanoseconds(encodeTime)) ns (\(try #require(EtcdWire.responseSize(range))) bytes)")
        #expect(checksum > 0)
    }
}
