/// `name=value` fields of a reply line or item, in order.
public struct Fields: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        public var name: String
        public var value: [UInt8]
    }

    public var entries: [Field] = []

    public init() {}

    public subscript(name: String) -> [UInt8]? {
        entries.first { $0.name == name }?.value
    }

    func int64(_ name: String) throws(WireError) -> Int64? {
        guard let value = self[name] else { return nil }
        guard let number = Integers.int64(value) else { throw Fields.bad(name, value) }
        return number
    }

    func uint64(_ name: String) throws(WireError) -> UInt64? {
        guard let value = self[name] else { return nil }
        guard let number = Integers.uint64(value) else { throw Fields.bad(name, value) }
        return number
    }

    func hex(name: String) throws(WireError) -> UInt64? {
        guard let value = self[name] else { return nil }
        guard let number = Integers.hex(value) else { throw Fields.bad(name, value) }
        return number
    }

    func bool(_ name: String) throws(WireError) -> Bool? {
        guard let value = self[name] else { return nil }
        guard let flag = Integers.bool(value) else { throw Fields.bad(name, value) }
        return flag
    }

    func text(_ name: String) -> String? {
        guard let value = self[name] else { return nil }
        return value == [UInt8(ascii: "-")] ? "" : String(decoding: value, as: UTF8.self)
    }

    static func bad(_ name: String, _ value: [UInt8]) -> WireError {
        .protocolViolation("malformed reply field \(name)=\(String(decoding: value, as: UTF8.self))")
    }

    /// Whether `token` has the shape of a field: unquoted `[a-z][a-z0-9_]*=…`.
    static func split(_ token: Token) -> Field? {
        guard !token.isQuoted, let first = token.bytes.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
              let equals = token.bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        for byte in token.bytes[..<equals] {
            let ok = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            if !ok { return nil }
        }
        return Field(name: String(decoding: token.bytes[..<equals], as: UTF8.self),
                     value: Array(token.bytes[(equals + 1)...]))
    }
}

/// One typed item of a reply: an upper-case keyword, a fixed number of positional tokens for that
/// keyword, then its fields.
public struct ReplyItem: Equatable, Sendable {
    public var keyword: String
    public var arguments: [[UInt8]]
    public var fields: Fields

    /// How many positional tokens follow each item keyword of protocol version 1.
    public static let arity: [String: Int] = [
        "KV": 6, "RANGE": 0, "PUT": 0, "DEL": 0, "TXN": 0,
        "MEMBER": 1, "PEER": 1, "CLIENT": 1, "ERROR": 1, "REASON": 1,
        "KEY": 1, "LEASE": 1, "EV": 1, "USER": 1, "ROLE": 1, "PERM": 3, "ALARM": 2,
    ]
}

/// Any reply line, parsed generically:
///
///     reply  := [@tag] status [field…] [item…]
///     status := OK | ERR <CODE> <message>
///     field  := name=value          (unquoted; name is [a-z][a-z0-9_]*)
///     item   := KEYWORD <arity tokens> [field…]
///
/// Typed decoding (`ReplyDecoder`) then reads a frame knowing which command it answers.
public struct ReplyFrame: Equatable, Sendable {
    /// `EVENT` lines are unsolicited: they carry watch responses on a connection that sent `WATCH`.
    public enum Status: String, Equatable, Sendable { case ok = "OK", err = "ERR", event = "EVENT" }

    public var tag: RequestTag?
    public var status: Status
    /// For `ERR`: the code and the message.
    public var arguments: [[UInt8]]
    public var fields: Fields
    public var items: [ReplyItem]

    public static func parse(_ line: [UInt8]) throws(WireError) -> ReplyFrame {
        let tokens: [Token]
        do {
            tokens = try Tokenizer.tokenize(line)
        } catch {
            throw WireError.protocolViolation("malformed reply: \(error.description)")
        }
        var index = 0
        var tag: RequestTag?
        if let first = tokens.first, !first.isQuoted, first.bytes.first == UInt8(ascii: "@") {
            guard let valid = RequestTag(bytes: first.bytes.dropFirst()) else {
                throw WireError.protocolViolation("malformed reply: invalid tag \(first.description)")
            }
            tag = valid
            index = 1
        }
        guard index < tokens.count else { throw WireError.protocolViolation("malformed reply: empty line") }
        let statusToken = tokens[index]
        index += 1
        var frame: ReplyFrame
        if statusToken.isWord("OK") {
            frame = ReplyFrame(tag: tag, status: .ok, arguments: [], fields: Fields(), items: [])
        } else if statusToken.isWord("EVENT") {
            frame = ReplyFrame(tag: tag, status: .event, arguments: [], fields: Fields(), items: [])
        } else if statusToken.isWord("ERR") {
            guard index + 2 <= tokens.count else {
                throw WireError.protocolViolation("malformed reply: ERR needs a code and a message")
            }
            frame = ReplyFrame(tag: tag, status: .err, arguments: [tokens[index].bytes, tokens[index + 1].bytes],
                               fields: Fields(), items: [])
            index += 2
        } else {
            throw WireError.protocolViolation("malformed reply: unknown status \(statusToken.description)")
        }
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if let field = Fields.split(token) {
                if frame.items.isEmpty {
                    frame.fields.entries.append(field)
                } else {
                    frame.items[frame.items.count - 1].fields.entries.append(field)
                }
                continue
            }
            let keyword = token.isQuoted ? "" : String(decoding: token.bytes, as: UTF8.self)
            guard let arity = ReplyItem.arity[keyword] else {
                throw WireError.protocolViolation("malformed reply: unexpected \(token.description) at column \(token.column)")
            }
            guard index + arity <= tokens.count else {
                throw WireError.protocolViolation("malformed reply: \(keyword) item needs \(arity) values")
            }
            frame.items.append(ReplyItem(keyword: keyword, arguments: tokens[index..<index + arity].map(\.bytes),
                                         fields: Fields()))
            index += arity
        }
        return frame
    }
}

/// A decoded reply line: its tag and either the typed response or the error it reports.
public struct Reply: Equatable, Sendable {
    public var tag: RequestTag?
    public var result: Result<Response, WireError>
    /// True for an unsolicited `EVENT` line (its result is a `.watch` response), false for the reply
    /// to a request.
    public var isEvent: Bool

    public init(tag: RequestTag?, result: Result<Response, WireError>, isEvent: Bool = false) {
        self.tag = tag
        self.result = result
        self.isEvent = isEvent
    }
}
