import KVProtocol
import Testing
@testable import KVBenchCore

@Suite struct RequestGeneratorTests {
    static let seed: UInt64 = 0x5EED_F022

    /// The generated line without its terminator (`\n` or `\r\n`), as the server's framing hands it on.
    static func body(_ line: [UInt8]) -> [UInt8] {
        var body = line
        if body.last == UInt8(ascii: "\n") { body.removeLast() }
        if body.last == UInt8(ascii: "\r") { body.removeLast() }
        return body
    }

    /// Every valid request the generator makes decodes, as the command it was generated as, with its tag:
    /// the generator speaks the protocol (in both modes, over every spelling it uses).
    @Test(arguments: [FuzzMode.standard, .auth(rootPassword: "rootpw")])
    func everyGeneratedRequestDecodes(mode: FuzzMode) throws {
        print("request generator seed: \(Self.seed)")
        var random = SplitMix64(seed: Self.seed)
        let generator = RequestGenerator(mode: mode)
        var failures = 0
        for _ in 0..<5_000 {
            let request = generator.request(&random)
            let line = request.render()
            #expect(line.last == UInt8(ascii: "\n"))
            do {
                let decoded = try #require(try RequestDecoder.decode(Self.body(line)))
                #expect(decoded.request.kind == request.command, "\(String(decoding: line, as: UTF8.self))")
                #expect(decoded.tag?.bytes == request.tag)
            } catch {
                failures += 1
                if failures <= 10 { Issue.record("\(error): \(String(decoding: line, as: UTF8.self).debugDescription)") }
            }
        }
        #expect(failures == 0)
    }

    /// Each command can be asked for directly, and its request decodes as that command.
    @Test func eachCommandOnRequest() throws {
        var random = SplitMix64(seed: Self.seed)
        let generator = RequestGenerator()
        for kind in CommandKind.allCases {
            for _ in 0..<50 {
                let line = generator.request(kind, &random).render()
                let decoded = try #require(try RequestDecoder.decode(Self.body(line)))
                #expect(decoded.request.kind == kind)
            }
        }
    }

    /// Drawn by weight, every command of the protocol turns up.
    @Test func everyCommandAppears() {
        var random = SplitMix64(seed: Self.seed)
        let generator = RequestGenerator()
        var seen: [CommandKind: Int] = [:]
        for _ in 0..<5_000 { seen[generator.request(&random).command, default: 0] += 1 }
        for kind in CommandKind.allCases {
            #expect(seen[kind, default: 0] > 0, "\(kind.verb) never generated")
        }
        #expect(seen[.get]! > seen[.userList]!, "key space commands are drawn more often than auth commands")
    }

    /// Every option of GET, PUT and WATCH shows up in generated lines, and so do the alternative
    /// spellings the protocol accepts.
    @Test func optionsAndSpellingsAppear() {
        var random = SplitMix64(seed: Self.seed)
        let generator = RequestGenerator()
        var text = ""
        for _ in 0..<5_000 { text += String(decoding: generator.request(&random).render(), as: UTF8.self).lowercased() }
        let expected = [
            "--prefix", "--from-key", "--limit=", "--rev=", "--sort-order=", "--sort=", "--sort-target=", "--sort-by=",
            "--serializable", "--keys-only", "--count-only", "--min-mod-rev=", "--max-mod-rev=", "--min-create-rev=",
            "--max-create-rev=", "--lease=", "--prev-kv", "--ignore-value", "--ignore-lease", "--ttl=", "--physical",
            "--id=", "--keys", "--no-put", "--no-delete", "--progress-notify", "--watch-id=", "--no-password",
            "range ", "delete ", " val ", " ver ", " == ", " else ", "\\x", "0x",
        ]
        for fragment in expected { #expect(text.contains(fragment), "\(fragment) never generated") }
    }

    /// The same seed gives the same cases; another seed gives others.
    @Test func casesAreDeterministicForASeed() {
        let limits = FuzzLimits(maxRequestBytes: 4096)
        var a = LineFuzzer(seed: 7, limits: limits, knownCrashes: KnownCrashes.lineProtocol)
        var b = LineFuzzer(seed: 7, limits: limits, knownCrashes: KnownCrashes.lineProtocol)
        var c = LineFuzzer(seed: 8, limits: limits, knownCrashes: KnownCrashes.lineProtocol)
        var differs = false
        for _ in 0..<1_000 {
            let x = a.next(), y = b.next(), z = c.next()
            #expect(x.bytes == y.bytes && x.summary == y.summary && x.ending == y.ending)
            if x.bytes != z.bytes { differs = true }
        }
        #expect(differs)
        #expect(a.skipped.map(\.count) == b.skipped.map(\.count))
    }

    @Test func splitMixMatchesTheReferenceSequence() {
        // SplitMix64 with seed 1234567 (the published reference values).
        var random = SplitMix64(seed: 1_234_567)
        #expect(random.next() == 6_457_827_717_110_365_317)
        #expect(random.next() == 3_203_168_211_198_807_973)
        #expect(random.next() == 9_817_491_932_198_370_423)
    }
}
