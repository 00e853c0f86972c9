#if canImport(Glibc)
import Glibc
#endif
import EtcdWire
import KVProtocol
import KVStore
import Testing
import TestSupport

/// Mutated inputs across every request decoder: no crash, no trap, and no decoded payload larger than
/// the input (nothing is allocated from a length prefix).
///
/// `KV_FUZZ_CASES` sets the number of inputs (default 100,000: about 2–3 s in a debug build on this
/// machine); `KV_FUZZ_SEED` replays a run (the seed is printed).
@Suite struct FuzzTests {
    static func environment(_ name: String) -> UInt64? {
        getenv(name).flatMap { UInt64(String(cString: $0)) }
    }

    @Test func mutatedRequestsNeverCrash() throws {
        let cases = Int(Self.environment("KV_FUZZ_CASES") ?? 100_000)
        let seed = Self.environment("KV_FUZZ_SEED") ?? UInt64.random(in: 0...UInt64.max)
        print("EtcdWire fuzz: seed \(seed) (KV_FUZZ_SEED), \(cases) cases (KV_FUZZ_CASES)")
        var generator = MessageGenerator(seed: seed)
        var corpus: [(EtcdMethod, [UInt8])] = []
        for _ in 0..<400 {
            corpus.append(try #require(EtcdWire.encodeRequest(generator.call())))
        }
        var deep = TxnRequest(success: [.put(PutRequest(key: [1], value: [2]))])
        for _ in 0..<TxnLimits.maximumNestingDepth { deep = TxnRequest(compare: [generator.compare()], success: [.txn(deep)]) }
        corpus.append((.txn, deep.encoded()))

        let start = ContinuousClock.now
        var decoded = 0
        var refused = 0
        for _ in 0..<cases {
            var (method, input) = corpus[Int.random(in: 0..<corpus.count, using: &generator.rng)]
            for _ in 0...Int.random(in: 0...3, using: &generator.rng) { mutate(&input, &generator.rng) }
            if Int.random(in: 0..<4, using: &generator.rng) == 0 {
                method = EtcdMethod.allCases[Int.random(in: 0..<EtcdMethod.allCases.count, using: &generator.rng)]
            }
            do {
                let call = try EtcdWire.decodeRequest(method, input)
                decoded += 1
                let payload = payloadBytes(call)
                #expect(payload <= input.count, "seed \(seed): \(payload) payload bytes from a \(input.count)-byte input")
            } catch {
                refused += 1
                _ = EtcdWire.status(for: error)
            }
        }
        let elapsed = ContinuousClock.now - start
        print("EtcdWire fuzz: \(cases) inputs in \(elapsed): \(decoded) decoded, \(refused) refused")
        #expect(decoded + refused == cases)
    }

    /// One random change: flip a bit, set a byte, insert or delete bytes, truncate, duplicate a run,
    /// or splice in a huge varint.
    func mutate(_ input: inout [UInt8], _ rng: inout SeededGenerator) {
        let index = input.isEmpty ? 0 : Int.random(in: 0..<input.count, using: &rng)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0 where !input.isEmpty: input[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1 where !input.isEmpty: input[index] = [0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12][Int.random(in: 0..<6, using: &rng)]
        case 2: input.insert(contentsOf: (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                             at: index)
        case 3 where !input.isEmpty: input.removeSubrange(index..<min(input.count, index + Int.random(in: 1...4, using: &rng)))
        case 4: input.removeSubrange(index...)
        case 5 where !input.isEmpty:
            let end = min(input.count, index + Int.random(in: 1...16, using: &rng))
            input.insert(contentsOf: Array(input[index..<end]), at: index)
        case 6: input.insert(contentsOf: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], at: index)
        default: input.insert(contentsOf: [UInt8.random(in: 0...255, using: &rng), 0xff, 0xff, 0xff, 0x0f], at: index)
        }
    }

    /// The key, value and name bytes a decoded call holds.
    func payloadBytes(_ call: EtcdCall) -> Int {
        switch call {
        case .request(let request):
            switch request {
            case .range(let range): range.key.count + range.rangeEnd.count
            case .put(let put): put.key.count + put.value.count
            case .deleteRange(let delete): delete.key.count + delete.rangeEnd.count
            case .txn(let txn): payloadBytes(txn)
            case .authenticate(let login): login.name.utf8.count + login.password.utf8.count
            default: 0
            }
        case .watch(.create(let watch, _)): watch.key.count + watch.rangeEnd.count
        case .memberAdd(let urls, _), .memberUpdate(_, let urls): urls.reduce(0) { $0 + $1.utf8.count }
        default: 0
        }
    }

    func payloadBytes(_ txn: TxnRequest) -> Int {
        var total = 0
        for compare in txn.compare {
            total += compare.key.count + compare.rangeEnd.count
            if case .value(let value) = compare.target { total += value.count }
        }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let range): total += range.key.count + range.rangeEnd.count
            case .put(let put): total += put.key.count + put.value.count
            case .deleteRange(let delete): total += delete.key.count + delete.rangeEnd.count
            case .txn(let inner): total += payloadBytes(inner)
            }
        }
        return total
    }
}
