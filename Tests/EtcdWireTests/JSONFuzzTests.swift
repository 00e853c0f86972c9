#if canImport(Glibc)
import Glibc
#endif
import EtcdWire
import KVProtocol
import KVStore
import Testing

/// Mutated JSON requests of every method through the gateway's decoder (`JSONParser`, the transcoder,
/// then the protobuf decoders): no crash, no trap; every input is decoded or refused with a status.
///
/// `KV_FUZZ_CASES` sets the number of inputs (default 100,000); `KV_FUZZ_SEED` replays a run (the seed
/// is printed).
@Suite struct JSONFuzzTests {
    @Test func mutatedJSONRequestsNeverCrash() throws {
        let cases = Int(FuzzTests.environment("KV_FUZZ_CASES") ?? 100_000)
        let seed = FuzzTests.environment("KV_FUZZ_SEED") ?? UInt64.random(in: 0...UInt64.max)
        print("JSON fuzz: seed \(seed) (KV_FUZZ_SEED), \(cases) cases (KV_FUZZ_CASES)")
        var generator = MessageGenerator(seed: seed)
        var corpus: [(EtcdMethod, [UInt8])] = []
        for _ in 0..<400 {
            let (method, protobuf) = try #require(EtcdWire.encodeRequest(generator.call()))
            var writer = JSONWriter()
            try JSONTranscoder.json(fromProtobuf: protobuf, schema: EtcdWire.jsonSchemas(method).request, into: &writer)
            corpus.append((method, writer.bytes))
        }
        // Hand-written shapes the generator does not produce: numbers as numbers, camelCase names, nulls,
        // escapes, deep nesting.
        for text in [#"{"key":"Zm9v","limit":5,"sortOrder":2,"range_end":null}"#, #"{"name":"\u00e9\ud83d\ude00","password":""}"#,
                     #"{"compare":[{"key":"YQ==","result":"EQUAL","target":"VALUE","value":"MQ=="}],"success":[{"request_txn":{"success":[{"request_put":{"key":"YQ=="}}]}}]}"#,
                     String(repeating: #"{"success":[{"request_txn":"#, count: 40) + "{}" + String(repeating: "}]}", count: 40)] {
            corpus.append((.txn, Array(text.utf8)))
        }
        let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\\u", "null", "true", "-", "0", "1e999", "\"Zm9v\"",
                                 "18446744073709551616", "-9223372036854775809", "\"AA==\"", "{\"request_txn\":"].map { Array($0.utf8) }
        let start = ContinuousClock.now
        var decoded = 0
        var refused = 0
        for _ in 0..<cases {
            var (method, input) = corpus[Int.random(in: 0..<corpus.count, using: &generator.rng)]
            for _ in 0...Int.random(in: 0...3, using: &generator.rng) {
                let index = input.isEmpty ? 0 : Int.random(in: 0..<input.count, using: &generator.rng)
                switch Int.random(in: 0..<6, using: &generator.rng) {
                case 0 where !input.isEmpty: input[index] ^= 1 << UInt8.random(in: 0...7, using: &generator.rng)
                case 1: input.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &generator.rng)], at: index)
                case 2 where !input.isEmpty:
                    input.removeSubrange(index..<min(input.count, index + Int.random(in: 1...6, using: &generator.rng)))
                case 3: input.removeSubrange(index...)
                case 4 where !input.isEmpty:
                    let end = min(input.count, index + Int.random(in: 1...24, using: &generator.rng))
                    input.insert(contentsOf: Array(input[index..<end]), at: index)
                default: input.insert(UInt8.random(in: 0...255, using: &generator.rng), at: index)
                }
            }
            if Int.random(in: 0..<4, using: &generator.rng) == 0 {
                method = EtcdMethod.allCases[Int.random(in: 0..<EtcdMethod.allCases.count, using: &generator.rng)]
            }
            do {
                _ = try EtcdWire.decodeJSONRequest(method, body: input)
                decoded += 1
            } catch {
                refused += 1
                _ = error.status
            }
        }
        print("JSON fuzz: \(cases) inputs in \(ContinuousClock.now - start): \(decoded) decoded, \(refused) refused")
        #expect(decoded + refused == cases)
    }
}
