import KVProtocol

/// Applies one structural ``LineMutation`` to a ``FuzzRequest``: it knows which tokens are numbers,
/// options, keys and the verb, so it can aim (replace `--watch-id`'s value by `Int64.max`, misspell
/// `--prefix`), where ``ByteMutator`` only sees bytes.
///
/// Each `apply` returns a short description of what it did for the case's summary, or nil when the
/// mutation does not fit the request (no number to replace in `PING`), leaving the request unchanged.
public struct LineMutator: Sendable {
    public var limits: FuzzLimits

    public init(limits: FuzzLimits = FuzzLimits()) { self.limits = limits }

    /// Every option name of the protocol, for foreign options.
    static let allOptions: [(String, FuzzValue?)] = [
        ("prefix", nil), ("from-key", nil), ("limit", .decimal(3)), ("rev", .decimal(2)), ("sort-order", .word("ascend")),
        ("sort-target", .word("mod")), ("serializable", nil), ("keys-only", nil), ("count-only", nil),
        ("min-mod-rev", .decimal(1)), ("lease", .hex(0x694d)), ("prev-kv", nil), ("ignore-value", nil),
        ("ignore-lease", nil), ("ttl", .decimal(5)), ("physical", nil), ("id", .hex(0x2a)), ("keys", nil),
        ("no-put", nil), ("no-delete", nil), ("progress-notify", nil), ("watch-id", .decimal(7)), ("no-password", nil),
        ("sort-order", .word("sideways")), ("sort-target", .word("size")), ("bogus", nil), ("", nil),
    ]

    public func apply(_ mutation: LineMutation, to request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        switch mutation {
        case .numericEdge: numericEdge(&request, &random)
        case .flagRemoved: flagRemoved(&request, &random)
        case .flagRepeated: flagRepeated(&request, &random)
        case .flagMisspelled: flagMisspelled(&request, &random)
        case .flagEmptyValue: flagEmptyValue(&request, &random)
        case .flagForeign: flagForeign(&request, &random)
        case .argumentDropped: argumentDropped(&request, &random)
        case .argumentAdded: argumentAdded(&request, &random)
        case .verbMangled: verbMangled(&request, &random)
        case .badEscape: badEscape(&request, &random)
        case .badQuoting: badQuoting(&request, &random)
        case .tagEdge: tagEdge(&request, &random)
        case .txnSyntax: txnSyntax(&request, &random)
        case .longToken: longToken(&request, &random)
        default: nil
        }
    }

    // MARK: - Numbers and options

    func numericEdge(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let places = request.tokens.indices.filter { index in
            switch request.tokens[index] {
            case .number: return true
            case .option(let name, _): return !["sort-order", "sort", "sort-target", "sort-by"].contains(name.lowercased())
            default: return false
            }
        }
        guard let index = places.isEmpty ? addNumericOption(&request, &random) : random.pick(places) else { return nil }
        func replacement(_ old: FuzzValue) -> FuzzValue {
            if case .hex = old { return NumericEdges.hex(&random) }
            if case .word(let text) = old, text.hasPrefix("0x") { return NumericEdges.hex(&random) }
            return NumericEdges.decimal(&random)
        }
        switch request.tokens[index] {
        case .number(let old):
            let new = replacement(old)
            request.tokens[index] = .number(new)
            return "numericEdge(\(new.text))"
        case .option(let name, let old):
            let new = replacement(old)
            request.tokens[index] = .option(name, new)
            return "numericEdge(--\(name)=\(new.text))"
        default:
            return nil
        }
    }

    /// The numeric options of a command: (name, whether the value is a hex id).
    static func numericOptions(_ kind: CommandKind) -> [(String, Bool)] {
        switch kind {
        case .get: [("limit", false), ("rev", false), ("min-mod-rev", false), ("max-mod-rev", false),
                    ("min-create-rev", false), ("max-create-rev", false)]
        case .put: [("lease", true), ("ttl", false)]
        case .watch: [("rev", false), ("watch-id", false)]
        case .hash, .snapshot: [("rev", false)]
        case .leaseGrant: [("id", true)]
        default: []
        }
    }

    /// Gives a request without a number one of its command's numeric options; returns its index.
    func addNumericOption(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> Int? {
        let options = Self.numericOptions(request.command)
        guard !options.isEmpty, !request.tokens.isEmpty else { return nil }
        let (name, isHex) = random.pick(options)
        request.tokens.append(.option(name, isHex ? .hex(1) : .decimal(1)))
        return request.tokens.count - 1
    }

    func optionIndices(_ request: FuzzRequest) -> [Int] { request.tokens.indices.filter { request.tokens[$0].isOption } }

    func flagRemoved(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let options = optionIndices(request)
        guard !options.isEmpty else { return nil }
        let removed = request.tokens.remove(at: random.pick(options))
        return "flagRemoved(\(Self.text(removed)))"
    }

    func flagRepeated(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let options = optionIndices(request)
        guard !options.isEmpty else { return nil }
        var copy = request.tokens[random.pick(options)]
        if case .option(let name, _) = copy, random.chance(percent: 50) { copy = .option(name, .decimal(1)) }
        let times = random.chance(percent: 90) ? 1 : random.int(in: 2...50)
        for _ in 0..<times { insert(copy, into: &request, &random) }
        return "flagRepeated(\(Self.text(copy))×\(times + 1))"
    }

    func flagMisspelled(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let options = optionIndices(request)
        guard !options.isEmpty else { return nil }
        let index = random.pick(options)
        let (name, suffix): (String, String) = switch request.tokens[index] {
        case .flag(let name): (name, "")
        case .option(let name, let value): (name, "=" + value.text)
        default: ("", "")
        }
        var letters = Array(name)
        let spelled: String
        switch random.below(9) {
        case 0 where letters.count > 1:
            letters.remove(at: random.below(letters.count))
            spelled = "--" + String(letters) + suffix
        case 1 where letters.count > 1:
            let i = random.below(letters.count - 1)
            letters.swapAt(i, i + 1)
            spelled = "--" + String(letters) + suffix
        case 2: spelled = "-" + name + suffix
        case 3: spelled = "---" + name + suffix
        case 4: spelled = "--" + name.replacingDashes() + suffix
        case 5: spelled = "--" + name + "s" + suffix
        case 6: spelled = "--" + suffix
        case 7: spelled = "--" + name.uppercased() + suffix.replacingOccurrences("=", ":")
        default: spelled = "—" + name + suffix  // an em dash: non-ASCII outside quotes
        }
        request.tokens[index] = .raw(Array(spelled.utf8))
        return "flagMisspelled(\(spelled))"
    }

    func flagEmptyValue(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let options = optionIndices(request)
        guard !options.isEmpty else { return nil }
        let index = random.pick(options)
        let text: String
        switch request.tokens[index] {
        case .flag(let name): text = "--\(name)=" + random.pick(["", "1", "true", "0", "="])
        case .option(let name, _): text = "--\(name)=" + random.pick(["", "=", "==5"])
        default: return nil
        }
        request.tokens[index] = .raw(Array(text.utf8))
        return "flagEmptyValue(\(text))"
    }

    func flagForeign(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        var added: [FuzzToken] = []
        switch random.below(3) {
        case 0:
            let (name, value) = random.pick(Self.allOptions)
            added = [value.map { .option(name, $0) } ?? .flag(name)]
        case 1:
            added = [.flag("prefix"), .flag("from-key")]
        default:
            // A range option next to an explicit range end: a conflict the decoder must name.
            added = [.flag(random.pick(["prefix", "from-key"])), .data(Array("zz".utf8), .canonical)]
        }
        for token in added { insert(token, into: &request, &random) }
        return "flagForeign(\(added.map(Self.text).joined(separator: " ")))"
    }

    // MARK: - Arguments and verb

    func argumentDropped(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let positional = request.tokens.indices.dropFirst().filter { !request.tokens[$0].isOption }
        guard !positional.isEmpty else { return nil }
        let removed = request.tokens.remove(at: random.pick(positional))
        return "argumentDropped(\(Self.text(removed)))"
    }

    func argumentAdded(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let count = random.chance(percent: 90) ? 1 : random.int(in: 2...500)
        for _ in 0..<count {
            let token: FuzzToken = random.chance(percent: 50)
                ? .data(random.pick(FuzzVocabulary.keys), .canonical) : .number(.decimal(Int64(random.int(in: 0...9))))
            insert(token, into: &request, &random)
        }
        return "argumentAdded(×\(count))"
    }

    func verbMangled(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let verb: FuzzToken
        switch random.below(7) {
        case 0: verb = .word(random.pick(["FOO", "GETS", "PUTT", "SET", "QUIT", "SHUTDOWN", "X"]))
        case 1: verb = .word(random.pick(["DEFRAG", "ALARM"]))
        case 2: verb = .data(Array(request.command.verb.utf8), .quoted)
        case 3: verb = .word(String(request.command.verb.dropLast()))
        case 4: verb = .word(random.pick(CommandKind.allCases).verb)  // another command's verb, these arguments
        case 5: verb = .raw(Array("\(request.command.verb)\u{0}".utf8))
        default:
            request.tokens.removeAll()
            return "verbMangled(nothing)"
        }
        if request.tokens.isEmpty { request.tokens = [verb] } else { request.tokens[0] = verb }
        return "verbMangled(\(Self.text(verb)))"
    }

    // MARK: - Quoting

    func dataIndices(_ request: FuzzRequest) -> [Int] {
        request.tokens.indices.filter { if case .data = request.tokens[$0] { true } else { false } }
    }

    func badEscape(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let escape = random.pick(["\\q", "\\x", "\\xZ1", "\\x4", "\\u00e9", "\\ ", "\\\u{0}", "\\X41", "\\"])
        let body = "ab" + escape + "cd"
        let quoted = escape == "\\" && random.chance(percent: 50) ? "\"ab\\\"" : "\"\(body)\""
        replaceOrAppendData(&request, with: Array(quoted.utf8), &random)
        return "badEscape(\(quoted))"
    }

    func badQuoting(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let text = random.pick([
            "\"abc", "\"", "\"a\"b", "\"\"\"\"", "a\\b", "caf\u{e9}", "a\u{1}b", "\"a\" \"", "\"a\"\"b\"", "\"\\\"",
            "x\"y\"", "\"a\u{7f}\"z",
        ])
        replaceOrAppendData(&request, with: Array(text.utf8), &random)
        return "badQuoting(\(text.debugDescription))"
    }

    /// Replaces a data token (or, when there is none, adds one) with `bytes` as written.
    func replaceOrAppendData(_ request: inout FuzzRequest, with bytes: [UInt8], _ random: inout SplitMix64) {
        let data = dataIndices(request)
        if data.isEmpty {
            request.tokens.append(.raw(bytes))
        } else {
            request.tokens[random.pick(data)] = .raw(bytes)
        }
    }

    // MARK: - Tags

    func tagEdge(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let valid = RequestGenerator.tag(&random, length: 32)
        let tag: [UInt8]
        switch random.below(9) {
        case 0: tag = valid
        case 1: tag = valid + [UInt8(ascii: "x")]
        case 2: tag = []
        case 3: tag = RequestGenerator.tag(&random, length: random.pick([64, 1000]))
        case 4: tag = Array(random.pick(["a/b", "a\"b", "caf\u{e9}", "a=b", "@", "a,b", "#1"]).utf8)
        case 5:
            request.tokens.removeAll()
            tag = RequestGenerator.tag(&random)
        case 6:
            request.tokens.insert(.raw(Array("@second".utf8)), at: 0)
            tag = RequestGenerator.tag(&random)
        case 7:
            request.tokens.insert(.raw(Array("@x".utf8)), at: 0)  // a tag after no tag: reads as the verb
            request.tag = nil
            return "tagEdge(@x as verb)"
        default:
            tag = valid
            request.tokens.insert(.raw([UInt8(ascii: "\"")] + Array("@q".utf8) + [UInt8(ascii: "\"")]), at: 0)
        }
        request.tag = tag
        return "tagEdge(@\(tag.count > 40 ? "<\(tag.count) bytes>" : String(decoding: tag, as: UTF8.self)))"
    }

    // MARK: - TXN syntax

    func txnSyntax(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        guard request.command == .txn, !request.tokens.isEmpty else { return nil }
        func words(_ word: String) -> [Int] {
            request.tokens.indices.filter { if case .word(let w) = request.tokens[$0] { w.uppercased() == word } else { false } }
        }
        switch random.below(8) {
        case 0:
            let sections = words("THEN") + words("ELSE") + words("IF")
            guard sections.count >= 2 else { return nil }
            let a = random.pick(sections), b = random.pick(sections)
            request.tokens.swapAt(a, b)
            return "txnSyntax(sections swapped)"
        case 1:
            let ends = words("END")
            guard !ends.isEmpty else { return nil }
            request.tokens.remove(at: random.pick(ends))
            return "txnSyntax(END removed)"
        case 2:
            insert(.word("END"), into: &request, &random)
            return "txnSyntax(END added)"
        case 3:
            let data = dataIndices(request)
            guard !data.isEmpty else { return nil }
            let word = random.pick(DataQuoting.reservedWords)
            request.tokens[random.pick(data)] = .word(word.lowercased())
            return "txnSyntax(bare \(word.lowercased()))"
        case 4:
            let operators = request.tokens.indices.filter {
                if case .word(let w) = request.tokens[$0] { ["=", "==", "!=", "<", ">"].contains(w) } else { false }
            }
            guard let index = operators.isEmpty ? nil : random.pick(operators) else { return nil }
            let removeOperand = random.chance(percent: 50) && index + 1 < request.tokens.count
            request.tokens.removeSubrange(index...(removeOperand ? index + 1 : index))
            return removeOperand ? "txnSyntax(operator and operand removed)" : "txnSyntax(operator removed)"
        case 5:
            let verb = random.pick(["PING", "WATCH", "COMPACT", "STATUS", "LEASE-GRANT"])
            insert(.word(verb), into: &request, &random)
            return "txnSyntax(\(verb) in a branch)"
        case 6:
            insert(.word(random.pick(["SIZE", "KEY", "IF", "THEN", "ELSE"])), into: &request, &random)
            return "txnSyntax(stray word)"
        default:
            request.tokens = [request.tokens[0], .word("IF"), .word("VALUE"), .data(Array("a".utf8), .canonical), .word("=")]
            return "txnSyntax(compare without operand)"
        }
    }

    // MARK: - Long tokens

    /// Makes the line `limit + delta` bytes long (terminator excluded) by growing one token, where the
    /// limit is the server's line limit or request limit, or leaves it at 64 KiB-ish sizes.
    func longToken(_ request: inout FuzzRequest, _ random: inout SplitMix64) -> String? {
        let target: Int
        switch random.below(5) {
        case 0, 1: target = limits.lineBytes + random.int(in: -2...2)
        case 2: target = limits.maxRequestBytes + random.int(in: -1...1)
        case 3: target = limits.lineBytes + random.pick([100, 4096, 65_536])
        default: target = random.pick([4096, 65_535, 65_536, 65_537, limits.lineBytes / 2])
        }
        let numbers = request.tokens.indices.filter { if case .number = request.tokens[$0] { true } else { false } }
        let data = dataIndices(request)
        // 0: bare run of letters in a data place; 1: quoted with escapes; 2: a long number; 3: an extra token.
        var shape = random.below(4)
        if shape == 2 && numbers.isEmpty { shape = 0 }
        if shape < 2 && data.isEmpty { shape = 3 }
        let index: Int
        switch shape {
        case 2: index = random.pick(numbers)
        case 3:
            index = request.tokens.count
            request.tokens.append(.raw([]))
        default: index = random.pick(data)
        }
        request.tokens[index] = .raw([])
        let length = max(1, target - (request.render().count - request.terminator.count))
        let token: [UInt8]
        switch shape {
        case 1 where length >= 2:
            // Quoted, with an escape every 16 bytes: the tokenizer's slow path all the way.
            var bytes: [UInt8] = [UInt8(ascii: "\"")]
            bytes.reserveCapacity(length)
            while bytes.count < length - 1 {
                if bytes.count % 16 == 1 && bytes.count + 5 < length { bytes += Array("\\x41".utf8) } else { bytes.append(UInt8(ascii: "y")) }
            }
            bytes.append(UInt8(ascii: "\""))
            token = bytes
        case 2:
            token = [UInt8](repeating: UInt8(ascii: "9"), count: length)
        default:
            token = [UInt8](repeating: UInt8(ascii: "x"), count: length)
        }
        request.tokens[index] = .raw(token)
        return "longToken(line \(target) bytes, limit \(limits.lineBytes))"
    }

    /// Inserts `token` anywhere after the verb (or as the only token of an empty request).
    func insert(_ token: FuzzToken, into request: inout FuzzRequest, _ random: inout SplitMix64) {
        request.tokens.insert(token, at: request.tokens.isEmpty ? 0 : random.int(in: 1...request.tokens.count))
    }

    static func text(_ token: FuzzToken) -> String {
        let request = FuzzRequest(command: .ping, tokens: [token])
        let bytes = request.render().dropLast()
        return bytes.count > 60 ? "<\(bytes.count) bytes>" : String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }

    func replacingOccurrences(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
