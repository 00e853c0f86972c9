import KVProtocol

/// Valid requests of every command of docs/PROTOCOL.md §8, drawn from a seeded ``SplitMix64``.
///
/// "Valid" means the line decodes (`RequestDecoder.decode` accepts it); the server may still answer it
/// with a store error (`EMPTY_KEY`, `COMPACTED`, `LEASE_NOT_FOUND`, …), which is part of the point. The
/// generator uses every spelling the protocol allows, not only the encoder's: verb aliases and any case,
/// options anywhere after the verb, option aliases, `0x` hex ids, quoted tokens that could be bare, every
/// escape style (``DataQuoting``), `VAL`/`VER`/`==` in compares, a top-level TXN without its `END`, tabs
/// and runs of spaces, `\r\n`.
///
/// The same seed gives the same requests. Keys, names and ids come from ``FuzzVocabulary``.
public struct RequestGenerator: Sendable {
    public var mode: FuzzMode
    /// Deepest TXN-inside-TXN of a generated request (top level is 0).
    public var maxTxnDepth: Int

    public init(mode: FuzzMode = .standard, maxTxnDepth: Int = 2) {
        self.mode = mode
        self.maxTxnDepth = maxTxnDepth
    }

    /// Every command, in `CommandKind` order, with how often it is drawn relative to the others: the key
    /// space commands most, each auth command rarely (password hashing is slow by design).
    public static let weights: [(CommandKind, Int)] = CommandKind.allCases.map { kind in
        switch kind {
        case .get, .put: (kind, 14)
        case .txn: (kind, 12)
        case .del: (kind, 5)
        case .watch: (kind, 4)
        case .leaseGrant: (kind, 3)
        case .ping, .unwatch, .leaseRevoke, .leaseKeepAlive, .leaseTTL, .snapshotNext: (kind, 2)
        default: (kind, 1)
        }
    }

    /// A request of a command drawn by ``weights``.
    public func request(_ random: inout SplitMix64) -> FuzzRequest {
        let kind = Self.weights[random.weighted(Self.weights.map(\.1))].0
        return request(kind, &random)
    }

    /// A request of `kind`.
    public func request(_ kind: CommandKind, _ random: inout SplitMix64) -> FuzzRequest {
        var request = FuzzRequest(command: kind, tokens: [.word(verb(kind, &random))] + arguments(kind, &random))
        if random.chance(percent: 30) { request.tag = Self.tag(&random) }
        if random.chance(percent: 5) { request.separator = random.pick([[0x20, 0x20], [0x09], [0x20, 0x09, 0x20]]) }
        if random.chance(percent: 5) { request.terminator = [0x0d, 0x0a] }
        return request
    }

    /// A valid tag: 1–8 characters of `A-Z a-z 0-9 _ . -`, sometimes the longest allowed (32).
    public static func tag(_ random: inout SplitMix64, length: Int? = nil) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-".utf8)
        let count = length ?? (random.chance(percent: 5) ? 32 : random.int(in: 1...8))
        return (0..<count).map { _ in random.pick(alphabet) }
    }

    // MARK: - Commands

    func verb(_ kind: CommandKind, _ random: inout SplitMix64) -> String {
        var verb = kind.verb
        if kind == .get && random.chance(percent: 10) { verb = "RANGE" }
        if kind == .del && random.chance(percent: 10) { verb = "DELETE" }
        return spellCase(verb, &random)
    }

    func arguments(_ kind: CommandKind, _ random: inout SplitMix64) -> [FuzzToken] {
        switch kind {
        case .hello:
            return [.number(.decimal(random.chance(percent: 90) ? 1 : Int64(random.int(in: 0...3))))]
        case .ping, .status, .members, .health, .leaseList, .progress, .snapshotNext,
             .authEnable, .authDisable, .authStatus, .userList, .roleList, .defrag:
            return []
        case .alarm:
            return [.word(random.chance(percent: 50) ? "LIST" : "DISARM")]
        case .get:
            return arrange(get(&random), &random)
        case .put:
            return arrange(put(topLevel: true, &random), &random)
        case .del:
            return arrange(del(&random), &random)
        case .txn:
            return Array(txn(depth: 0, &random).dropFirst())
        case .compact:
            var options: [FuzzToken] = []
            if random.chance(percent: 30) { options.append(flag("physical", &random)) }
            return arrange(([.number(.decimal(revision(&random)))], options), &random)
        case .hash, .snapshot:
            return random.chance(percent: 50) ? [option("rev", .decimal(revision(&random)), &random)] : []
        case .leaseGrant:
            var positional: [FuzzToken] = [.number(.decimal(ttl(&random)))]
            for _ in 0..<random.weighted([6, 3, 1, 1]) { positional.append(data(key(&random), &random)) }
            let options = random.chance(percent: 60) ? [option("id", leaseID(&random), &random)] : []
            return arrange((positional, options), &random)
        case .leaseRevoke, .leaseKeepAlive:
            return [.number(leaseID(&random))]
        case .leaseTTL:
            let options = random.chance(percent: 50) ? [flag("keys", &random)] : []
            return arrange(([.number(leaseID(&random))], options), &random)
        case .watch:
            return arrange(watch(&random), &random)
        case .unwatch:
            return [.number(.decimal(Int64(random.int(in: 0...40))))]
        case .authenticate:
            if case .auth(let rootPassword) = mode, random.chance(percent: 30) {
                return [data(Array("root".utf8), &random), data(Array(rootPassword.utf8), &random)]
            }
            return [name(FuzzVocabulary.users, &random), name(FuzzVocabulary.passwords, &random)]
        case .userAdd:
            if random.chance(percent: 30) {
                return [name(FuzzVocabulary.users, &random), flag("no-password", &random)]
            }
            return [name(FuzzVocabulary.users, &random), name(FuzzVocabulary.passwords, &random)]
        case .userDelete, .userGet:
            return [name(FuzzVocabulary.users, &random)]
        case .userPasswd:
            return [name(FuzzVocabulary.users, &random), name(FuzzVocabulary.passwords, &random)]
        case .userGrant, .userRevoke:
            return [name(FuzzVocabulary.users, &random), name(FuzzVocabulary.roles, &random)]
        case .roleAdd, .roleDelete, .roleGet:
            return [name(FuzzVocabulary.roles, &random)]
        case .roleGrant:
            let type = FuzzToken.word(spellCase(random.pick(["read", "write", "readwrite"]), &random))
            let (range, options) = keyRange(&random)
            return arrange(([name(FuzzVocabulary.roles, &random), type] + range, options), &random)
        case .roleRevoke:
            let (range, options) = keyRange(&random)
            return arrange(([name(FuzzVocabulary.roles, &random)] + range, options), &random)
        }
    }

    /// `GET`'s arguments: a key range and any of its options.
    func get(_ random: inout SplitMix64) -> (positional: [FuzzToken], options: [FuzzToken]) {
        var (positional, options) = keyRange(&random)
        if random.chance(percent: 30) { options.append(option("limit", .decimal(Int64(random.int(in: 0...20))), &random)) }
        if random.chance(percent: 20) { options.append(option("rev", .decimal(revision(&random)), &random)) }
        if random.chance(percent: 20) {
            let name = random.chance(percent: 80) ? "sort-order" : "sort"
            options.append(option(name, .word(spellCase(random.pick(["none", "ascend", "descend"]), &random)), &random))
        }
        if random.chance(percent: 20) {
            let name = random.chance(percent: 80) ? "sort-target" : "sort-by"
            options.append(option(name, .word(spellCase(random.pick(["key", "version", "create", "mod", "value"]), &random)), &random))
        }
        for name in ["serializable", "keys-only", "count-only"] where random.chance(percent: 15) {
            options.append(flag(name, &random))
        }
        for name in ["min-mod-rev", "max-mod-rev", "min-create-rev", "max-create-rev"] where random.chance(percent: 8) {
            options.append(option(name, .decimal(revision(&random)), &random))
        }
        return (positional, options)
    }

    /// `PUT`'s arguments; `--ttl` only at top level and never with `--lease`/`--ignore-lease`.
    func put(topLevel: Bool, _ random: inout SplitMix64) -> (positional: [FuzzToken], options: [FuzzToken]) {
        var positional = [data(key(&random), &random)]
        var options: [FuzzToken] = []
        if random.chance(percent: 10) {
            options.append(flag("ignore-value", &random))
            if random.chance(percent: 30) { positional.append(data([], &random)) }
        } else {
            positional.append(data(FuzzVocabulary.value(&random), &random))
        }
        if random.chance(percent: 30) { options.append(flag("prev-kv", &random)) }
        if topLevel && random.chance(percent: 10) {
            options.append(option("ttl", .decimal(ttl(&random)), &random))
        } else {
            if random.chance(percent: 20) { options.append(option("lease", leaseID(&random), &random)) }
            if random.chance(percent: 8) { options.append(flag("ignore-lease", &random)) }
        }
        return (positional, options)
    }

    func del(_ random: inout SplitMix64) -> (positional: [FuzzToken], options: [FuzzToken]) {
        var (positional, options) = keyRange(&random)
        if random.chance(percent: 30) { options.append(flag("prev-kv", &random)) }
        return (positional, options)
    }

    func watch(_ random: inout SplitMix64) -> (positional: [FuzzToken], options: [FuzzToken]) {
        var (positional, options) = keyRange(&random)
        if random.chance(percent: 30) { options.append(option("rev", .decimal(revision(&random)), &random)) }
        for name in ["prev-kv", "no-put", "no-delete", "progress-notify"] where random.chance(percent: 15) {
            options.append(flag(name, &random))
        }
        if random.chance(percent: 25) { options.append(option("watch-id", .decimal(Int64(random.int(in: 1...40))), &random)) }
        return (positional, options)
    }

    // MARK: - TXN

    /// `TXN [IF …] [THEN …] [ELSE …] END` starting with the `TXN` word; a top-level one sometimes leaves
    /// out its `END`.
    func txn(depth: Int, _ random: inout SplitMix64) -> [FuzzToken] {
        var tokens: [FuzzToken] = [.word(spellCase("TXN", &random))]
        if random.chance(percent: 60) {
            tokens.append(.word(spellCase("IF", &random)))
            for _ in 0...random.below(3) { tokens += compare(&random) }
        }
        if random.chance(percent: 80) {
            tokens.append(.word(spellCase("THEN", &random)))
            for _ in 0...random.below(4) { tokens += op(depth: depth, &random) }
        }
        if random.chance(percent: 40) {
            tokens.append(.word(spellCase("ELSE", &random)))
            for _ in 0...random.below(3) { tokens += op(depth: depth, &random) }
        }
        if depth > 0 || random.chance(percent: 90) { tokens.append(.word(spellCase("END", &random))) }
        return tokens
    }

    /// One branch operation: GET, PUT (without `--ttl`), DEL, or a nested TXN.
    func op(depth: Int, _ random: inout SplitMix64) -> [FuzzToken] {
        switch random.weighted([4, 4, 2, depth < maxTxnDepth ? 1 : 0]) {
        case 0: return [.word(verb(.get, &random))] + arrange(get(&random), &random)
        case 1: return [.word(verb(.put, &random))] + arrange(put(topLevel: false, &random), &random)
        case 2: return [.word(verb(.del, &random))] + arrange(del(&random), &random)
        default: return txn(depth: depth + 1, &random)
        }
    }

    /// `VALUE|VERSION|CREATE|MOD|LEASE <key> [<range_end>|--prefix|--from-key] <op> <operand>`.
    func compare(_ random: inout SplitMix64) -> [FuzzToken] {
        let target = random.pick(["VALUE", "VAL", "VERSION", "VER", "CREATE", "MOD", "LEASE"])
        let (range, options) = random.chance(percent: 80) ? ([data(key(&random), &random)], []) : keyRange(&random)
        let operand: FuzzToken = switch target {
        case "VALUE", "VAL": data(FuzzVocabulary.value(&random), &random)
        case "LEASE": .number(leaseID(&random))
        default: .number(.decimal(revision(&random)))
        }
        let comparison = FuzzToken.word(random.pick(["=", "==", "!=", ">", "<"]))
        return [.word(spellCase(target, &random))] + arrange((range, options), &random) + [comparison, operand]
    }

    // MARK: - Pieces

    /// A key with no range, an explicit range end, `--prefix` or `--from-key`: (positional, options).
    func keyRange(_ random: inout SplitMix64) -> ([FuzzToken], [FuzzToken]) {
        let key = data(key(&random), &random)
        switch random.weighted([6, 2, 2, 1]) {
        case 0: return ([key], [])
        case 1: return ([key, data(random.pick(FuzzVocabulary.rangeEnds), &random)], [])
        case 2: return ([key], [flag("prefix", &random)])
        default: return ([key], [flag("from-key", &random)])
        }
    }

    func key(_ random: inout SplitMix64) -> [UInt8] { random.pick(FuzzVocabulary.keys) }

    func name(_ pool: [String], _ random: inout SplitMix64) -> FuzzToken { data(Array(random.pick(pool).utf8), &random) }

    func data(_ bytes: [UInt8], _ random: inout SplitMix64) -> FuzzToken {
        .data(bytes, random.chance(percent: 70) ? .canonical : random.pick(DataQuoting.Style.allCases))
    }

    func flag(_ name: String, _ random: inout SplitMix64) -> FuzzToken { .flag(spellCase(name, &random)) }

    func option(_ name: String, _ value: FuzzValue, _ random: inout SplitMix64) -> FuzzToken {
        .option(spellCase(name, &random), value)
    }

    /// A revision: mostly small (this run's store is young), sometimes 0 or negative.
    func revision(_ random: inout SplitMix64) -> Int64 {
        random.chance(percent: 90) ? Int64(random.int(in: 1...60)) : Int64(random.int(in: -2...0))
    }

    func ttl(_ random: inout SplitMix64) -> Int64 {
        random.chance(percent: 90) ? Int64(random.int(in: 1...120)) : Int64(random.int(in: -1...0))
    }

    /// A lease id from the vocabulary, as encoders write it or with `0x` and upper-case digits.
    func leaseID(_ random: inout SplitMix64) -> FuzzValue {
        let id = random.pick(FuzzVocabulary.leaseIDs)
        return random.chance(percent: 85) ? .hex(id) : .word("0x" + String(id, radix: 16, uppercase: true))
    }

    /// Mostly as given (upper-case verbs and words, lower-case options), sometimes lower, upper or mixed.
    func spellCase(_ text: String, _ random: inout SplitMix64) -> String {
        switch random.weighted([85, 5, 5, 5]) {
        case 0: return text
        case 1: return text.lowercased()
        case 2: return text.uppercased()
        default: return text.prefix(1).uppercased() + text.dropFirst().lowercased()
        }
    }

    /// Positional arguments in order with the options placed among them: mostly after them (as encoders
    /// write), sometimes anywhere (the protocol allows options anywhere after the verb).
    func arrange(_ parts: (positional: [FuzzToken], options: [FuzzToken]), _ random: inout SplitMix64) -> [FuzzToken] {
        var options = parts.options
        options.shuffle(using: &random)
        guard random.chance(percent: 30) else { return parts.positional + options }
        var result = parts.positional
        for option in options { result.insert(option, at: random.int(in: 0...result.count)) }
        return result
    }
}
