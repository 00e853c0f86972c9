import KVStore

/// The one-line transaction syntax:
///
///     TXN [IF <compare>…] [THEN <op>…] [ELSE <op>…] END
///     compare := VALUE|VERSION|CREATE|MOD|LEASE <key> [<range_end>] [--prefix|--from-key] =|!=|<|> <operand>
///     op      := GET … | PUT … | DEL … | TXN … END
///
/// Ops take exactly the arguments and options of the top-level commands and extend up to the next
/// unquoted `IF`, `GET`, `PUT`, `DEL`, `DELETE`, `TXN`, `THEN`, `ELSE` or `END`; a key or value spelling a
/// reserved word must therefore be quoted (the encoder does). The closing `END` may be left out at the end
/// of a top-level line.
///
/// Nesting is bounded before it is parsed: a nested `TXN` is refused, before the parser descends into
/// it, when etcd's operation budget leaves it nothing (`TOO_MANY_OPS`, see `TxnLimits`) or when it would
/// lie more than `TxnLimits.maximumNestingDepth` levels inside the outer one (`ARGS`). So no line,
/// however deep its nesting, can exhaust the parser's stack or reach any later walk over the transaction.
enum TxnSyntax {
    /// Words with a meaning inside a TXN line (compared case-insensitively, unquoted only).
    static let reservedWords: Set<String> = [
        "IF", "THEN", "ELSE", "END", "GET", "RANGE", "PUT", "DEL", "DELETE", "TXN",
        "VALUE", "VAL", "VERSION", "VER", "CREATE", "MOD", "LEASE", "=", "==", "!=", "<", ">",
    ]

    static func isReservedWord(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 7 else { return false }
        return reservedWords.contains(String(decoding: bytes.map(asciiUppercased), as: UTF8.self))
    }

    /// Ends the tokens of an op.
    static func isOpBoundary(_ token: Token) -> Bool {
        token.isWord("IF") || token.isWord("GET") || token.isWord("RANGE") || token.isWord("PUT") || token.isWord("DEL")
            || token.isWord("DELETE") || token.isWord("TXN") || token.isWord("THEN") || token.isWord("ELSE")
            || token.isWord("END")
    }

    static let compareSpec = CommandSpec(.txn, arguments: ["key", "range_end"], required: 1,
                                         options: [OptionSpec("prefix"), OptionSpec("from-key")])

    // MARK: - Encoding

    static func encode(_ txn: TxnRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("TXN")
        if !txn.compare.isEmpty {
            buffer.writeASCII(" IF")
            for compare in txn.compare { encode(compare, into: &buffer) }
        }
        if !txn.success.isEmpty {
            buffer.writeASCII(" THEN")
            for op in txn.success { encode(op, into: &buffer) }
        }
        if !txn.failure.isEmpty {
            buffer.writeASCII(" ELSE")
            for op in txn.failure { encode(op, into: &buffer) }
        }
        buffer.writeASCII(" END")
    }

    static func encode(_ op: RequestOp, into buffer: inout ByteBuffer) {
        buffer.writeByte(UInt8(ascii: " "))
        switch op {
        case .range(let request): GetCommand.encode(request, into: &buffer, inTxn: true)
        case .put(let request): PutCommand.encode(request, into: &buffer, inTxn: true)
        case .deleteRange(let request): DelCommand.encode(request, into: &buffer, inTxn: true)
        case .txn(let request): encode(request, into: &buffer)
        }
    }

    static func encode(_ compare: Compare, into buffer: inout ByteBuffer) {
        switch compare.target {
        case .value: buffer.writeASCII(" VALUE ")
        case .version: buffer.writeASCII(" VERSION ")
        case .createRevision: buffer.writeASCII(" CREATE ")
        case .modRevision: buffer.writeASCII(" MOD ")
        case .lease: buffer.writeASCII(" LEASE ")
        }
        buffer.writeToken(compare.key, avoidingReservedWords: true)
        if !compare.rangeEnd.isEmpty {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeToken(compare.rangeEnd, avoidingReservedWords: true)
        }
        switch compare.result {
        case .equal: buffer.writeASCII(" = ")
        case .notEqual: buffer.writeASCII(" != ")
        case .greater: buffer.writeASCII(" > ")
        case .less: buffer.writeASCII(" < ")
        }
        switch compare.target {
        case .value(let value): buffer.writeToken(value, avoidingReservedWords: true)
        case .version(let number), .createRevision(let number), .modRevision(let number): buffer.writeDecimal(number)
        case .lease(let id): buffer.writeHex(UInt64(bitPattern: id))
        }
    }

    // MARK: - Decoding

    /// Decodes the tokens after a top-level `TXN`.
    /// - Parameter maxOps: the server's `--max-txn-ops`. Only what bounds the nesting is checked here
    ///   (the budget each nested transaction is left, counted before descending into it); the store
    ///   checks every count exactly.
    static func decode(_ tokens: ArraySlice<Token>, maxOps: Int = .max) throws(WireError) -> TxnRequest {
        var parser = Parser(tokens: Array(tokens))
        let txn = try parser.txn(nested: false, depth: 1, budget: maxOps)
        if parser.index < parser.tokens.count {
            throw WireError.args("TXN", "unexpected \(parser.tokens[parser.index].description) after END")
        }
        return txn
    }

    struct Parser {
        let tokens: [Token]
        var index = 0

        private enum Section: Int, Comparable {
            case start, compares, success, failure
            static func < (a: Section, b: Section) -> Bool { a.rawValue < b.rawValue }
        }

        /// Parses a transaction body up to and including its `END` (optional at the end of a top-level
        /// line). `depth` counts the levels down to this one (1 for the outer transaction); `budget` is at
        /// least the operation limit etcd's rule gives this level.
        mutating func txn(nested: Bool, depth: Int, budget: Int) throws(WireError) -> TxnRequest {
            var txn = TxnRequest()
            var section = Section.start
            while index < tokens.count {
                let token = tokens[index]
                if token.isWord("END") {
                    index += 1
                    return txn
                }
                if let next = sectionWord(token) {
                    guard section < next else {
                        throw WireError.args("TXN", "\(token.upperText) out of place (the order is IF, THEN, ELSE, END)")
                    }
                    section = next
                    index += 1
                    continue
                }
                switch section {
                case .start:
                    throw WireError.args("TXN", "expected IF, THEN, ELSE or END, got \(token.description)")
                case .compares:
                    txn.compare.append(try compare())
                case .success:
                    let used = max(txn.compare.count, txn.success.count + 1, txn.failure.count)
                    txn.success.append(try op(branch: "THEN", depth: depth, budget: budget, used: used))
                case .failure:
                    let used = max(txn.compare.count, txn.success.count, txn.failure.count + 1)
                    txn.failure.append(try op(branch: "ELSE", depth: depth, budget: budget, used: used))
                }
            }
            if nested { throw WireError.args("TXN", "missing END of nested TXN") }
            return txn
        }

        private func sectionWord(_ token: Token) -> Section? {
            if token.isWord("IF") { return .compares }
            if token.isWord("THEN") { return .success }
            if token.isWord("ELSE") { return .failure }
            return nil
        }

        /// `used`: the operations this level holds so far, this one included.
        private mutating func op(branch: String, depth: Int, budget: Int, used: Int) throws(WireError) -> RequestOp {
            let verb = tokens[index]
            index += 1
            if verb.isWord("TXN") {
                // Refused before descending: a nested transaction may use only what its parent leaves,
                // and the parent already holds `used` operations (etcd counts it once it is complete,
                // with the same outcome whenever this refuses).
                if used > budget { throw WireError.store(.tooManyOperations(count: used, limit: budget)) }
                // The nested transaction lies `depth` levels inside the outer one.
                if depth > TxnLimits.maximumNestingDepth {
                    throw WireError.args("TXN", "transactions nest at most \(TxnLimits.maximumNestingDepth) levels deep")
                }
                return .txn(try txn(nested: true, depth: depth + 1, budget: budget - used))
            }
            let start = index
            while index < tokens.count && !TxnSyntax.isOpBoundary(tokens[index]) { index += 1 }
            let arguments = tokens[start..<index]
            if verb.isWord("GET") || verb.isWord("RANGE") { return .range(try GetCommand.decode(arguments)) }
            if verb.isWord("PUT") { return .put(try PutCommand.decodeInTxn(arguments)) }
            if verb.isWord("DEL") || verb.isWord("DELETE") { return .deleteRange(try DelCommand.decode(arguments)) }
            throw WireError.args("TXN", "expected GET, PUT, DEL or TXN in the \(branch) branch, got \(verb.description)")
        }

        private mutating func compare() throws(WireError) -> Compare {
            let targetToken = tokens[index]
            let name: String
            enum Kind { case value, version, create, mod, lease }
            let kind: Kind
            if targetToken.isWord("VALUE") || targetToken.isWord("VAL") { (kind, name) = (.value, "VALUE") }
            else if targetToken.isWord("VERSION") || targetToken.isWord("VER") { (kind, name) = (.version, "VERSION") }
            else if targetToken.isWord("CREATE") { (kind, name) = (.create, "CREATE") }
            else if targetToken.isWord("MOD") { (kind, name) = (.mod, "MOD") }
            else if targetToken.isWord("LEASE") { (kind, name) = (.lease, "LEASE") }
            else {
                throw WireError.args("TXN", "expected a compare (VALUE, VERSION, CREATE, MOD, LEASE), got \(targetToken.description)")
            }
            index += 1
            let start = index
            var result: Compare.Result?
            while index < tokens.count {
                let token = tokens[index]
                if token.isWord("=") || token.isWord("==") { result = .equal }
                else if token.isWord("!=") { result = .notEqual }
                else if token.isWord(">") { result = .greater }
                else if token.isWord("<") { result = .less }
                else if TxnSyntax.isOpBoundary(token) { break }
                if result != nil { break }
                index += 1
            }
            guard let result else {
                throw WireError.args("TXN", "\(name) compare is missing its operator (=, !=, <, >)")
            }
            let arguments = try Arguments(tokens[start..<index], spec: TxnSyntax.compareSpec, context: "TXN \(name) compare")
            let (key, rangeEnd) = try keyRange(arguments)
            index += 1
            guard index < tokens.count else {
                throw WireError.args("TXN", "\(name) compare is missing the value after its operator")
            }
            let operand = tokens[index]
            index += 1
            let target: Compare.Target
            switch kind {
            case .value:
                target = .value(operand.bytes)
            case .lease:
                guard let id = Integers.hex(operand.bytes) else {
                    throw WireError.args("TXN", "invalid lease id \(operand.description) in LEASE compare")
                }
                target = .lease(Int64(bitPattern: id))
            case .version, .create, .mod:
                guard let number = Integers.int64(operand.bytes) else {
                    throw WireError.args("TXN", "invalid integer \(operand.description) in \(name) compare")
                }
                target = kind == .version ? .version(number) : kind == .create ? .createRevision(number) : .modRevision(number)
            }
            return Compare(key: key, rangeEnd: rangeEnd, result: result, target: target)
        }
    }
}
