import KVProtocol
import Testing
@testable import KVBenchCore

@Suite struct LineMutatorTests {
    static let limits = FuzzLimits(maxRequestBytes: 4096, maxTxnOps: 16)

    /// Every mutation kind is produced by a run of cases.
    @Test func aRunCoversEveryMutation() {
        var fuzzer = LineFuzzer(seed: 11, limits: Self.limits)
        var seen: Set<String> = []
        for _ in 0..<5_000 { seen.formUnion(fuzzer.next().mutations) }
        for mutation in LineMutation.allCases {
            #expect(seen.contains(mutation.rawValue), "\(mutation) never applied")
        }
    }

    /// Each structural mutation nearly always changes the line when it applies, and leaves the request
    /// as it was when it declines.
    @Test(arguments: LineMutation.structural)
    func structuralMutationChangesTheLine(mutation: LineMutation) {
        var random = SplitMix64(seed: 3)
        let generator = RequestGenerator()
        let mutator = LineMutator(limits: Self.limits)
        var applied = 0, changed = 0
        for _ in 0..<500 {
            let original = generator.request(&random)
            var request = original
            if mutator.apply(mutation, to: &request, &random) != nil {
                applied += 1
                if request.render() != original.render() { changed += 1 }
            } else {
                #expect(request == original)
            }
        }
        #expect(applied > 0)
        // A few land on what was there (a numeric edge equal to the old value, a case-only misspelling).
        #expect(changed * 10 >= applied * 9, "\(mutation): \(changed) of \(applied) changed the line")
    }

    /// Mutations stacked in any order on any request never trap (one that emptied the request used to
    /// leave the next one indexing its verb).
    @Test func stackedMutationsNeverTrap() {
        var random = SplitMix64(seed: 13)
        let generator = RequestGenerator()
        let mutator = LineMutator(limits: Self.limits)
        for _ in 0..<2_000 {
            var request = generator.request(&random)
            for _ in 0..<random.int(in: 2...6) {
                _ = mutator.apply(random.pick(LineMutation.structural), to: &request, &random)
            }
            var bytes = request.render()
            _ = ByteMutator.apply(random.pick(LineMutation.byteLevel), to: &bytes, &random)
            #expect(!bytes.isEmpty)
        }
        for command in [CommandKind.txn, .ping, .get] {
            for mutation in LineMutation.structural {
                var empty = FuzzRequest(command: command, tokens: [])
                _ = mutator.apply(mutation, to: &empty, &random)
            }
        }
    }

    /// Every case but a partial line ends with a line terminator, so the connection stays in step; a
    /// partial line ends without one and disconnects.
    @Test func casesEndOnALineUnlessTheyDisconnect() {
        var fuzzer = LineFuzzer(seed: 5, limits: Self.limits)
        var partial = 0
        for _ in 0..<5_000 {
            let fuzzCase = fuzzer.next()
            if fuzzCase.ending == .keepOpen {
                #expect(fuzzCase.bytes.last == UInt8(ascii: "\n"), "\(fuzzCase.summary)")
            } else {
                partial += 1
                #expect(fuzzCase.bytes.last != UInt8(ascii: "\n") || fuzzCase.bytes.count == 1, "\(fuzzCase.summary)")
            }
        }
        #expect(partial > 0)
    }

    /// Long tokens land on the line limit: some lines are exactly at it, some one byte past.
    @Test func longTokensLandOnTheLineLimit() {
        var random = SplitMix64(seed: 9)
        let generator = RequestGenerator()
        let mutator = LineMutator(limits: Self.limits)
        var lengths: Set<Int> = []
        for _ in 0..<400 {
            var request = generator.request(&random)
            guard mutator.apply(.longToken, to: &request, &random) != nil else { continue }
            lengths.insert(request.render().count - request.terminator.count)
        }
        let limit = Self.limits.lineBytes
        #expect(lengths.contains(limit) && lengths.contains(limit + 1) && lengths.contains(limit - 1))
        #expect(lengths.contains(Self.limits.maxRequestBytes))
    }

    @Test func numericEdgesReachInt64Extremes() {
        var random = SplitMix64(seed: 1)
        let mutator = LineMutator()
        var texts: Set<String> = []
        for _ in 0..<2_000 {
            var request = FuzzRequest(command: .compact, tokens: [.word("COMPACT"), .number(.decimal(5))])
            _ = mutator.apply(.numericEdge, to: &request, &random)
            texts.insert(String(decoding: request.render().dropLast(), as: UTF8.self))
        }
        for text in ["COMPACT 9223372036854775807", "COMPACT -9223372036854775808", "COMPACT 9223372036854775808",
                     "COMPACT 00000000000000000000000000000000000042", "COMPACT +5", "COMPACT 0x10", "COMPACT "] {
            #expect(texts.contains(text), "\(text)")
        }
    }

    @Test func byteMutationsKeepTheTerminator() {
        var random = SplitMix64(seed: 6)
        for mutation in LineMutation.byteLevel {
            for _ in 0..<200 {
                var line = Array("PUT foo bar --prev-kv\n".utf8)
                _ = ByteMutator.apply(mutation, to: &line, &random)
                #expect(line.last == UInt8(ascii: "\n"))
            }
        }
    }
}
