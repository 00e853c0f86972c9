import Glibc
import Testing
@testable import HPACK
import TestSupport

/// Mutated header blocks (bit flips, byte changes, truncations, insertions, deletions, duplications, splices and
/// plain random bytes, seeded from valid blocks: RFC 7541 Appendix C and the indexing test encoder's output) fed to
/// long-lived decoders the way a connection would, recreating a decoder only after a connection error.
///
/// Every outcome must be a header list or an `HPACKError` (typed throws make that the only error possible; the test
/// is that nothing traps), and the decoder's invariants must hold after each block.
///
/// 100,000 cases by default, about 2 s on a debug build. Replay or go longer with, e.g.,
/// `KV_FUZZ_CASES=2000000 KV_FUZZ_SEED=12345 swift test --filter HPACKFuzzTests`.
@Suite struct HPACKFuzzTests {
    static let defaultSeed: UInt64 = 0x4850_4143_4B21

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static var cases: Int { environment("KV_FUZZ_CASES").flatMap { Int($0) } ?? 100_000 }

    static var seed: UInt64 {
        guard let text = environment("KV_FUZZ_SEED") else { return defaultSeed }
        return (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)) ?? defaultSeed
    }

    /// Valid blocks to mutate. The encoder's blocks refer to entries its earlier blocks added, so on a decoder
    /// that has seen other blocks they hit the dynamic table at valid and invalid indices alike.
    static func seedBlocks() -> [[UInt8]] {
        var seeds = AppendixCTests.singleRepresentations.map { bytes(hex: $0.hex) }
        for huffman in [false, true] {
            seeds += AppendixCTests.requests(huffman: huffman).map { bytes(hex: $0.hex) }
            seeds += AppendixCTests.responses(huffman: huffman).map { bytes(hex: $0.hex) }
        }
        var random = RandomHeaders(seed: 0xF00D)
        var encoder = IndexingTestEncoder(seed: 0xF00D)
        encoder.sizeUpdateOneIn = 4
        var recent: [HeaderField] = []
        for _ in 0..<200 { seeds.append(encoder.encode(random.list(maxCount: 8, recent: &recent))) }
        var plain = HPACKEncoder()
        for _ in 0..<40 {
            var block: [UInt8] = []
            plain.encode(random.list(maxCount: 8, recent: &recent), into: &block)
            seeds.append(block)
        }
        return seeds.filter { $0.count <= 2048 }
    }

    enum Mutation: CaseIterable {
        case flipBits, replaceByte, interestingByte, truncate, insertRandom, deleteRange, duplicateRange, splice,
             randomBytes
    }

    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x0F, 0x10, 0x1F, 0x20, 0x3F, 0x40, 0x7E, 0x7F, 0x80, 0x81,
                                            0xBE, 0xBF, 0xFE, 0xFF]

    static func mutate(_ block: [UInt8], seeds: [[UInt8]], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = block
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Mutation.allCases.randomElement(using: &rng)! {
            case .flipBits:
                guard !bytes.isEmpty else { continue }
                bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case .replaceByte:
                guard !bytes.isEmpty else { continue }
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case .interestingByte:
                guard !bytes.isEmpty else { continue }
                bytes[position] = interestingBytes.randomElement(using: &rng)!
            case .truncate:
                bytes = Array(bytes.prefix(position))
            case .insertRandom:
                let inserted = (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes.insert(contentsOf: inserted, at: position)
            case .deleteRange:
                guard !bytes.isEmpty else { continue }
                bytes.removeSubrange(position..<Swift.min(bytes.count, position + Int.random(in: 1...8, using: &rng)))
            case .duplicateRange:
                guard !bytes.isEmpty else { continue }
                let range = position..<Swift.min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[range], at: Int.random(in: 0...bytes.count, using: &rng))
            case .splice:
                let other = seeds.randomElement(using: &rng)!
                bytes = Array(bytes.prefix(position)) + other.suffix(Int.random(in: 0...other.count, using: &rng))
            case .randomBytes:
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return bytes
    }

    /// Limits a connection might have: small ones reach eviction and the list limit sooner.
    static func freshDecoder(using rng: inout SeededGenerator) -> HPACKDecoder {
        HPACKDecoder(maxTableSize: [0, 256, 4096, 4096].randomElement(using: &rng)!,
                     maxHeaderListSize: [200, 16 * 1024, 16 * 1024].randomElement(using: &rng)!)
    }

    @Test func mutatedBlocksYieldListsOrErrorsNeverTraps() {
        let (seed, cases) = (Self.seed, Self.cases)
        print("hpack fuzz: seed \(seed), \(cases) cases (KV_FUZZ_SEED, KV_FUZZ_CASES)")
        var rng = SeededGenerator(seed: seed)
        let seeds = Self.seedBlocks()
        var decoder = Self.freshDecoder(using: &rng)
        var (lists, streamErrors, connectionErrors) = (0, 0, 0)
        for caseNumber in 0..<cases {
            let block = Self.mutate(seeds.randomElement(using: &rng)!, seeds: seeds, using: &rng)
            do {
                let list = try decoder.decode(block[...])
                lists += 1
                let listSize = list.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
                // Replaced invalid UTF-8 can make the Strings longer than the octets counted; allow for that.
                #expect(listSize <= decoder.maxHeaderListSize * 3, "case \(caseNumber)")
            } catch {
                if error.isConnectionError {
                    connectionErrors += 1
                    decoder = Self.freshDecoder(using: &rng)
                } else {
                    streamErrors += 1
                }
            }
            let invariantsHold = decoder.dynamicTableSize <= decoder.dynamicTableCapacity
                && decoder.dynamicTableCapacity <= decoder.maxTableSize
            #expect(invariantsHold, "case \(caseNumber): \(hexString(block))")
            if !invariantsHold { break }
        }
        print("hpack fuzz: \(lists) lists, \(streamErrors) stream errors, \(connectionErrors) connection errors")
        #expect(lists > cases / 20, "mutations should often leave valid blocks, to reach deep states")
        #expect(connectionErrors > cases / 20)
        #expect(streamErrors > 0 || cases < 10_000)
    }
}
