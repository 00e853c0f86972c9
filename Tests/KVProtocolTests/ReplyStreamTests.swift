import KVStore
import Testing
@testable import KVProtocol
import TestSupport

/// A streamed reply, produced in steps of any size, is byte for byte the line `ReplyEncoder` writes for
/// the collected response.
@Suite struct ReplyStreamTests {
    static func produce(_ stream: ReplyStream, using generator: inout SeededGenerator) -> [UInt8] {
        var buffer = ByteBuffer()
        var steps = 0
        while !stream.produce(into: &buffer, maxKeys: Int.random(in: 1...6, using: &generator),
                              maxBytes: Int.random(in: 1...200, using: &generator)) {
            steps += 1
            precondition(steps < 1_000_000, "the stream does not finish")
        }
        #expect(stream.isFinished)
        return buffer.readAll()
    }

    static func store(_ generator: inout SeededGenerator) throws -> Store {
        let store = Store()
        let words = ["a", "b", "a b", "then", "--x", "\u{0}", "é", "k1", "k2", "k3"]
        for _ in 0..<200 {
            let key = Array(words.randomElement(using: &generator)!.utf8) + [UInt8.random(in: 97...100, using: &generator)]
            if Int.random(in: 0..<5, using: &generator) == 0 {
                _ = try store.deleteRange(DeleteRangeRequest(key: key))
            } else {
                try store.put(PutRequest(key: key, value: Array(words.randomElement(using: &generator)!.utf8)))
            }
        }
        return store
    }

    static func range(_ generator: inout SeededGenerator) -> RangeRequest {
        var request = RangeRequest(key: [0], rangeEnd: [0])
        if Bool.random(using: &generator) { request = RangeRequest(key: Array("a".utf8), rangeEnd: Array("k2".utf8)) }
        if Bool.random(using: &generator) { request = RangeRequest(key: Array("k1b".utf8)) }
        request.limit = Int64.random(in: 0...5, using: &generator)
        request.sortOrder = [.none, .ascend, .descend].randomElement(using: &generator)!
        request.sortTarget = [.key, .value, .mod].randomElement(using: &generator)!
        request.keysOnly = Int.random(in: 0..<4, using: &generator) == 0
        request.countOnly = Int.random(in: 0..<6, using: &generator) == 0
        return request
    }

    @Test func rangeRepliesEqualTheEncodedResponse() throws {
        var generator = SeededGenerator(seed: 0x57_4ea3)
        let store = try Self.store(&generator)
        var small = 0, large = 0
        defer { #expect(small > 0 && large > 0, "both ways were taken: \(small) small, \(large) large") }
        for _ in 0..<300 {
            let request = Self.range(&generator)
            let tag = Bool.random(using: &generator) ? RequestTag("t1") : nil
            let expected = ReplyEncoder.line(.success(.range(try store.range(request))), tag: tag)
            let streamed = Self.produce(ReplyStream(range: try store.rangeCursor(request), tag: tag), using: &generator)
            #expect(String(decoding: streamed, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            // Small results are written at once; a cursor too large for that goes on as a stream.
            let cursor = try store.rangeCursor(request)
            var whole = ByteBuffer()
            let maxKeys = Int.random(in: 1...40, using: &generator)
            if ReplyStream.writeIfSmall(range: cursor, tag: tag, maxKeys: maxKeys, into: &whole) {
                #expect(whole.readAll() == expected)
                small += 1
            } else {
                #expect(whole.readableBytes == 0)
                #expect(Self.produce(ReplyStream(range: cursor, tag: tag), using: &generator) == expected)
                large += 1
            }
        }
    }

    @Test func transactionRepliesEqualTheEncodedResponse() throws {
        var generator = SeededGenerator(seed: 0x7c4)
        for round in 0..<60 {
            var g1 = SeededGenerator(seed: UInt64(round))
            var g2 = SeededGenerator(seed: UInt64(round))
            let a = try Self.store(&g1), b = try Self.store(&g2)
            func op(_ depth: Int) -> RequestOp {
                switch Int.random(in: 0..<(depth < 3 ? 5 : 4), using: &generator) {
                case 0, 1: return .range(Self.range(&generator))
                case 2: return .put(PutRequest(key: Array("p\(Int.random(in: 0...9, using: &generator))".utf8), value: Array("v".utf8), prevKV: true))
                case 3: return .deleteRange(DeleteRangeRequest(key: Array("k".utf8), rangeEnd: Array("l".utf8), prevKV: true))
                default: return .txn(TxnRequest(success: (0..<Int.random(in: 0...3, using: &generator)).map { _ in op(depth + 1) }))
                }
            }
            // At most one delete per branch: a key written twice in one branch is refused.
            var ops: [RequestOp] = []
            var deletes = 0, puts: Set<[UInt8]> = []
            for candidate in (0..<Int.random(in: 0...6, using: &generator)).map({ _ in op(0) }) {
                switch candidate {
                case .deleteRange: if deletes == 0 && puts.isEmpty { deletes += 1; ops.append(candidate) }
                case .put(let put): if deletes == 0 && !puts.contains(put.key) { puts.insert(put.key); ops.append(candidate) }
                case .txn: break
                default: ops.append(candidate)
                }
            }
            let txn = TxnRequest(success: ops)
            let tag = RequestTag("x\(round)")
            let expected = ReplyEncoder.line(.success(.txn(try a.txn(txn))), tag: tag)
            let deferred = try b.txnDeferringReads(txn)
            try b.put("later", "write")
            let streamed = Self.produce(ReplyStream(txn: deferred, tag: tag), using: &generator)
            #expect(String(decoding: streamed, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "round \(round)")
        }
    }

    @Test func deleteRepliesEqualTheEncodedResponse() throws {
        var generator = SeededGenerator(seed: 0xde1)
        let store = try Self.store(&generator)
        let response = try store.deleteRange(DeleteRangeRequest(key: [0], rangeEnd: [0], prevKV: true))
        #expect(response.prevKVs.count > 10)
        let expected = ReplyEncoder.line(.success(.deleteRange(response)), tag: nil)
        let streamed = Self.produce(ReplyStream(delete: response, tag: nil), using: &generator)
        #expect(streamed == expected)
    }

    /// A step writes about what it was allowed: one key-value past the byte budget at most.
    @Test func stepsAreBounded() throws {
        let store = Store()
        for i in 0..<1000 { try store.put("key\(i)", String(repeating: "v", count: 100)) }
        let stream = ReplyStream(range: try store.rangeCursor(RangeRequest(key: [0], rangeEnd: [0])), tag: nil)
        var buffer = ByteBuffer()
        var steps = 0
        var largest = 0
        while true {
            let before = buffer.readableBytes
            let done = stream.produce(into: &buffer, maxKeys: 10_000, maxBytes: 4096)
            largest = max(largest, buffer.readableBytes - before)
            steps += 1
            if done { break }
            try #require(steps < 10_000)
        }
        #expect(largest <= 4096 + 200)
        #expect(steps >= 1000 * 110 / 4096)
        let line = String(decoding: buffer.readAll(), as: UTF8.self)
        #expect(line.hasPrefix("OK rev=1001 "))
        #expect(line.contains(" count=1000 more=0 kvs=1000 KV key0 "))
    }
}
