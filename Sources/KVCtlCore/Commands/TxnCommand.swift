import KVProtocol
import KVStore

/// `txn [-i]`: compares, success ops and failure ops from standard input, each section ended by an
/// empty line (etcdctl's syntax). Unlike etcdctl 3.4, `>=`/`<=` give a clear error instead of a crash,
/// `lease("k") = "<hex id>"` compares work, and single-quoted words are read as the shell would.
enum TxnCommand {
    static func make() -> Command {
        Command("txn", short: "Txn processes all the requests in one transaction", use: "[options]", flags: [
            .bool("interactive", short: "i", "Input transaction in interactive mode"),
        ], action: run)
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("txn command does not accept argument") }
        let display = try inv.display()
        let interactive = inv.flags.bool("interactive")
        let request = try read(console: inv.console, interactive: interactive)
        let response = try inv.call { b throws(BackendError) in try b.txn(request) }
        try display.txn(response)
    }

    /// Reads the three sections.
    static func read(console: Console, interactive: Bool) throws(CtlError) -> TxnRequest {
        var request = TxnRequest()
        if interactive { console.line("compares:"); console.flush() }
        for line in try section(console) { request.compare.append(try parseCompare(line)) }
        if interactive { console.line("success requests (get, put, del):"); console.flush() }
        for line in try section(console) { request.success.append(try parseOp(line)) }
        if interactive { console.line("failure requests (get, put, del):"); console.flush() }
        for line in try section(console) { request.failure.append(try parseOp(line)) }
        return request
    }

    /// Lines up to an empty (blank) one; EOF before it is etcdctl's `Error: EOF` (exit 3).
    static func section(_ console: Console) throws(CtlError) -> [String] {
        var lines: [String] = []
        while true {
            guard let (bytes, atEOF) = console.readLine(), !atEOF else { throw CtlError(ExitCode.invalidInput, "EOF") }
            let line = trimSpace(String(decoding: bytes, as: UTF8.self))
            if line.isEmpty { return lines }
            lines.append(line)
        }
    }

    static func trimSpace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }

    // MARK: Compares

    static func parseCompare(_ line: String) throws(CtlError) -> Compare {
        let malformed = CtlError(ExitCode.invalidInput, "malformed comparison: \(line)")
        guard let paren = line.firstIndex(of: "(") else { throw malformed }
        let target = String(line[..<paren])
        var scanner = Scanner(Array(line[line.index(after: paren)...].utf8))
        let key = scanner.quoted()
        let closed = key != nil && scanner.literal(")")
        scanner.skipSpaces()
        let op = closed ? scanner.word() : nil
        scanner.skipSpaces()
        let value = op != nil ? scanner.quoted() : nil
        guard let key, closed, let op, let value else {
            throw CtlError(ExitCode.invalidInput, "malformed comparison: \(line); got \(target)(\(GoText.quote(key ?? []))) \(op ?? "") \(GoText.quote(value ?? []))")
        }
        let result: Compare.Result
        switch op {
        case "=", "==": result = .equal
        case "!=": result = .notEqual
        case "<": result = .less
        case ">": result = .greater
        default:
            throw CtlError(ExitCode.invalidInput, "malformed comparison: \(line) (unsupported operator \(op); use =, !=, < or >)")
        }
        let text = String(decoding: value, as: UTF8.self)
        func number() throws(CtlError) -> Int64 {
            guard case .success(let n) = GoParse.int64(text) else {
                throw CtlError(ExitCode.invalidInput, "invalid txn compare request: \(line)")
            }
            return n
        }
        let compareTarget: Compare.Target
        switch target {
        case "ver", "version": compareTarget = .version(try number())
        case "c", "create": compareTarget = .createRevision(try number())
        case "m", "mod": compareTarget = .modRevision(try number())
        case "val", "value": compareTarget = .value(value)
        case "lease":
            guard case .success(let id) = parseLeaseID(text) else {
                throw CtlError(ExitCode.invalidInput, "invalid txn compare request: \(line) (lease IDs are hexadecimal)")
            }
            compareTarget = .lease(id)
        default:
            throw CtlError(ExitCode.invalidInput, "malformed comparison: \(line) (unknown target \(target))")
        }
        return Compare(key: key, result: result, target: compareTarget)
    }

    // MARK: Ops

    static func parseOp(_ line: String) throws(CtlError) -> RequestOp {
        let invalid = CtlError(ExitCode.invalidInput, "invalid txn request: \(line)")
        guard let args = split(line) else { throw invalid }
        guard args.count >= 2 else { throw CtlError(ExitCode.invalidInput, "invalid txn compare request: \(line)") }
        let opRoot = Command("", short: "")
        opRoot.add(PutCommand.make(), GetCommand.make(), DelCommand.make())
        guard let command = opRoot.subcommand(args[0]) else { throw invalid }
        // Ops see only their own flags, not the global ones.
        var flags = FlagValues()
        for flag in command.flags { flags.values[flag.name] = flag.defaultValue }
        var positional: [String] = []
        var rest = Array(args.dropFirst())[...]
        while let arg = rest.popFirst() {
            if arg == "--" { positional += rest; break }
            guard arg.hasPrefix("--"), arg.count > 2 else {
                if arg.hasPrefix("-") && arg.count > 1 { throw invalid }
                positional.append(arg)
                continue
            }
            let parts = arg.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let flag = command.flags.first(where: { $0.name == parts[0] }), flag.name != "help" else { throw invalid }
            let value: String
            if parts.count == 2 { value = String(parts[1]) }
            else if flag.kind == .bool { value = "true" }
            else if let next = rest.popFirst() { value = next }
            else { throw invalid }
            if flag.validate(value) != nil { throw invalid }
            flags.set(flag.name, value, kind: flag.kind)
        }
        switch command.name {
        case "put": return .put(try PutCommand.request(positional, flags, stdin: { [] }))
        case "get": return .range(try GetCommand.request(positional, flags))
        default: return .deleteRange(try DelCommand.request(positional, flags))
        }
    }

    /// Splits an op line into words: blanks separate, `"…"` is a Go string, `'…'` is taken literally.
    static func split(_ line: String) -> [String]? {
        var scanner = Scanner(Array(line.utf8))
        var words: [String] = []
        while true {
            scanner.skipSpaces()
            guard let byte = scanner.peek else { return words }
            var word: [UInt8] = []
            var sawQuote = false
            while let b = scanner.peek, b != 0x20, b != 0x09 {
                if b == UInt8(ascii: "\"") {
                    guard let part = scanner.quoted() else { return nil }
                    word += part
                    sawQuote = true
                } else if b == UInt8(ascii: "'") {
                    scanner.advance()
                    guard let end = scanner.rest.firstIndex(of: UInt8(ascii: "'")) else { return nil }
                    word += scanner.rest[scanner.rest.startIndex..<end]
                    scanner.advance(end - scanner.rest.startIndex + 1)
                    sawQuote = true
                } else {
                    word.append(b)
                    scanner.advance()
                }
            }
            _ = byte
            _ = sawQuote
            words.append(String(decoding: word, as: UTF8.self))
        }
    }
}

/// A cursor over bytes for the txn syntax.
struct Scanner {
    var rest: ArraySlice<UInt8>
    init(_ bytes: [UInt8]) { rest = bytes[...] }

    var peek: UInt8? { rest.first }
    mutating func advance(_ n: Int = 1) { rest = rest.dropFirst(n) }
    mutating func skipSpaces() { while let b = rest.first, b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { advance() } }

    mutating func literal(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard rest.starts(with: bytes) else { return false }
        advance(bytes.count)
        return true
    }

    mutating func word() -> String? {
        var out: [UInt8] = []
        while let b = rest.first, b != 0x20, b != 0x09, b != 0x0a, b != 0x0d { out.append(b); advance() }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    /// A Go double-quoted (escapes) or back-quoted string literal.
    mutating func quoted() -> [UInt8]? {
        skipSpaces()
        let saved = rest
        guard let open = rest.first, open == UInt8(ascii: "\"") || open == UInt8(ascii: "`") else { return nil }
        advance()
        var out: [UInt8] = []
        if open == UInt8(ascii: "`") {
            guard let end = rest.firstIndex(of: open) else { rest = saved; return nil }
            out += rest[rest.startIndex..<end]
            advance(end - rest.startIndex + 1)
            return out
        }
        while let b = rest.first {
            advance()
            if b == UInt8(ascii: "\"") { return out }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard let e = rest.first else { break }
            advance()
            switch e {
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "v"): out.append(0x0b)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(e)
            case UInt8(ascii: "x"):
                guard rest.count >= 2, let v = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) else { rest = saved; return nil }
                out.append(v); advance(2)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let n = e == UInt8(ascii: "u") ? 4 : 8
                guard rest.count >= n, let v = UInt32(String(decoding: rest.prefix(n), as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else { rest = saved; return nil }
                out += Array(String(Character(scalar)).utf8); advance(n)
            default:
                if e >= 0x30 && e <= 0x37, rest.count >= 2, let v = UInt8(String(decoding: [e] + rest.prefix(2), as: UTF8.self), radix: 8) {
                    out.append(v); advance(2)
                } else { rest = saved; return nil }
            }
        }
        rest = saved
        return nil
    }
}
