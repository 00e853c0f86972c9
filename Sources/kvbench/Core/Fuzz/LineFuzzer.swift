/// The line protocol's fuzz cases (a ``FuzzCaseSource``): requests from ``RequestGenerator``, broken by
/// ``LineMutator`` and ``ByteMutator``, or whole shapes from ``TxnShapes``, pipelines of many requests and
/// partial lines followed by a disconnect.
///
/// A pure function of its seed: case `n` of a seed is always the same bytes (for a given mode, limits
/// and known-crash list), so a failure's seed and case number reproduce it.
///
/// Mix per case: 86% a single request (15% of them left valid, the rest with one to three mutations),
/// 5% a pipeline, 4% a partial line and disconnect, 3% a TXN at the op-count limit, 2% a deep TXN.
public struct LineFuzzer: FuzzCaseSource {
    public let seed: UInt64
    public private(set) var random: SplitMix64
    public var generator: RequestGenerator
    public var mutator: LineMutator
    /// Cases that would hit one of these are skipped (see ``KnownCrash``).
    public var knownCrashes: [KnownCrash]
    private var skipCounts: [Int]

    public init(seed: UInt64, mode: FuzzMode = .standard, limits: FuzzLimits = FuzzLimits(), knownCrashes: [KnownCrash] = []) {
        self.seed = seed
        random = SplitMix64(seed: seed)
        generator = RequestGenerator(mode: mode)
        mutator = LineMutator(limits: limits)
        self.knownCrashes = knownCrashes
        skipCounts = Array(repeating: 0, count: knownCrashes.count)
    }

    public var skipped: [(reason: String, count: Int)] {
        zip(knownCrashes, skipCounts).map { ($0.name, $1) }
    }

    /// How structural mutations are drawn (long tokens rarely, about one case in 500: each is up to a
    /// megabyte and a half, and a few thousand of them cover the line limit's edges).
    static let structuralWeights: [(LineMutation, Int)] = LineMutation.structural.map { mutation in
        switch mutation {
        case .numericEdge: (mutation, 80)
        case .flagRemoved, .flagMisspelled, .txnSyntax: (mutation, 32)
        case .longToken: (mutation, 1)
        case .argumentAdded, .verbMangled: (mutation, 16)
        default: (mutation, 24)
        }
    }

    static let byteWeights: [(LineMutation, Int)] = [(.byteFlip, 4), (.byteInsertion, 3), (.truncation, 2), (.whitespace, 2)]

    public mutating func next() -> FuzzCase {
        for _ in 0..<1000 {
            let candidate = draw()
            guard let crash = KnownCrash.first(in: knownCrashes, hitBy: candidate.bytes) else { return candidate }
            if let index = knownCrashes.firstIndex(where: { $0.name == crash.name }) { skipCounts[index] += 1 }
        }
        return FuzzCase(bytes: Array("PING\n".utf8), summary: "PING (every draw hit a known crash)")
    }

    mutating func draw() -> FuzzCase {
        switch random.weighted([86, 5, 4, 3, 2]) {
        case 0:
            return single()
        case 1:
            return pipelined()
        case 2:
            return partialLine()
        case 3:
            let (bytes, summary) = TxnShapes.opCountEdge(limit: mutator.limits.maxTxnOps, &random)
            return FuzzCase(bytes: bytes, summary: summary, mutations: [LineMutation.txnOpCountEdge.rawValue])
        default:
            // Depths far past what fits in a line only repeat the TOO_LARGE case: keep one just past it.
            let fits = mutator.limits.lineBytes / 9 + 100
            let depth = TxnShapes.depths[random.weighted(TxnShapes.depths.map(\.weight))].depth
            let (bytes, summary) = TxnShapes.deepNesting(depth: min(depth, fits), &random)
            return FuzzCase(bytes: bytes, summary: summary, mutations: [LineMutation.deepTxnNesting.rawValue])
        }
    }

    /// One request: valid, or with structural and byte mutations.
    mutating func single() -> FuzzCase {
        var request = generator.request(&random)
        let verb = request.command.verb
        guard random.chance(percent: 85) else {
            return FuzzCase(bytes: request.render(), summary: "\(verb) (valid)")
        }
        var applied: [LineMutation] = []
        var notes: [String] = []
        let structural = random.weighted([15, 60, 20, 5])
        for _ in 0..<structural {
            let mutation = Self.structuralWeights[random.weighted(Self.structuralWeights.map(\.1))].0
            if let note = mutator.apply(mutation, to: &request, &random) {
                applied.append(mutation)
                notes.append(note)
            }
        }
        var bytes = request.render()
        if applied.isEmpty || random.chance(percent: 25) {
            let mutation = Self.byteWeights[random.weighted(Self.byteWeights.map(\.1))].0
            if let note = ByteMutator.apply(mutation, to: &bytes, &random) {
                applied.append(mutation)
                notes.append(note)
            }
        }
        let summary = ([verb] + notes.map { "+" + $0 }).joined(separator: " ")
        return FuzzCase(bytes: bytes, summary: summary, mutations: applied.map(\.rawValue))
    }

    /// A request with at most one structural mutation (a pipeline's member, a partial line's source).
    mutating func lightlyMutated(percent: Int) -> (bytes: [UInt8], mutated: Bool) {
        var request = generator.request(&random)
        var mutated = false
        if random.chance(percent: percent) {
            let choices = Self.structuralWeights.filter { $0.0 != .longToken }
            let mutation = choices[random.weighted(choices.map(\.1))].0
            mutated = mutator.apply(mutation, to: &request, &random) != nil
        }
        return (request.render(), mutated)
    }

    /// Many requests in one write.
    mutating func pipelined() -> FuzzCase {
        let count = random.chance(percent: 80) ? random.int(in: 2...50) : random.int(in: 51...300)
        var bytes: [UInt8] = []
        var mutated = 0
        for _ in 0..<count {
            let (line, wasMutated) = lightlyMutated(percent: 30)
            bytes += line
            if wasMutated { mutated += 1 }
        }
        return FuzzCase(bytes: bytes, summary: "pipelined(\(count) requests, \(mutated) mutated)",
                        mutations: [LineMutation.pipelined.rawValue])
    }

    /// A few whole lines, then part of one, then the connection closed or reset.
    mutating func partialLine() -> FuzzCase {
        var bytes: [UInt8] = []
        let whole = random.weighted([6, 3, 1]) * 2
        for _ in 0..<whole { bytes += lightlyMutated(percent: 30).bytes }
        let last = lightlyMutated(percent: 30).bytes
        let cut = last.count > 2 ? random.int(in: 1...(last.count - 2)) : 1
        bytes += last.prefix(cut)
        let ending: FuzzCase.Ending = random.chance(percent: 70) ? .close : .reset
        return FuzzCase(bytes: bytes, ending: ending,
                        summary: "partialLineDisconnect(\(whole) whole lines, \(cut) of \(last.count) bytes, then \(ending.rawValue))",
                        mutations: [LineMutation.partialLineDisconnect.rawValue])
    }
}
