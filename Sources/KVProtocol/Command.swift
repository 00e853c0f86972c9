/// One option a command accepts: `--name` (a flag) or `--name=value`.
public struct OptionSpec: Sendable {
    public enum Value: Sendable {
        /// A flag: `--name`, no value allowed.
        case none
        /// A decimal integer.
        case integer
        /// A 64-bit id in hexadecimal (optional `0x`).
        case hex
        /// One of a fixed set of words (case-insensitive).
        case word([String])
    }

    /// The canonical name, without the leading `--`; this is what encoders write.
    public let name: String
    /// Other accepted spellings (decoding only).
    public let aliases: [String]
    public let value: Value

    public init(_ name: String, _ value: Value = .none, aliases: [String] = []) {
        self.name = name
        self.aliases = aliases
        self.value = value
    }
}

/// A command's shape: verb, positional arity and options. Decoding checks every request against it;
/// encoders only ever write what it allows (the round-trip tests hold them to that).
public struct CommandSpec: Sendable {
    public let kind: CommandKind
    /// The canonical verb.
    public var name: String { kind.verb }
    /// Other accepted verbs (decoding only).
    public let aliases: [String]
    /// The positional arguments: names for the synopsis, and how many are required.
    public let arguments: [String]
    public let requiredArguments: Int
    public let options: [OptionSpec]
    /// Whether the last positional argument may repeat (`LEASE-GRANT <ttl> [<key>…]`).
    public let isVariadic: Bool

    public init(_ kind: CommandKind, aliases: [String] = [], arguments: [String] = [], required: Int? = nil,
                variadic: Bool = false, options: [OptionSpec] = []) {
        self.kind = kind
        self.aliases = aliases
        self.arguments = arguments
        self.requiredArguments = required ?? arguments.count
        self.isVariadic = variadic
        self.options = options
    }

    public var maximumArguments: Int { isVariadic ? Int.max : arguments.count }

    /// E.g. `GET <key> [<range_end>] [--prefix] [--limit=N] …`.
    public var synopsis: String {
        var text = name
        for (index, argument) in arguments.enumerated() {
            if isVariadic && index == arguments.count - 1 {
                text += " [<\(argument)>…]"
            } else {
                text += index < requiredArguments ? " <\(argument)>" : " [<\(argument)>]"
            }
        }
        for option in options {
            switch option.value {
            case .none: text += " [--\(option.name)]"
            case .integer: text += " [--\(option.name)=N]"
            case .hex: text += " [--\(option.name)=HEX]"
            case .word(let words): text += " [--\(option.name)=\(words.joined(separator: "|"))]"
            }
        }
        return text
    }

    /// The expected argument count, as error messages word it.
    var arityText: String {
        if isVariadic { return "at least \(requiredArguments)" }
        if requiredArguments == maximumArguments { return "\(requiredArguments)" }
        return "\(requiredArguments) to \(maximumArguments)"
    }
}

/// A command's tokens sorted into positional arguments and options, checked against its spec.
struct Arguments {
    let spec: CommandSpec
    var positional: [Token] = []
    /// Given options by canonical name, with their value (nil for a flag).
    var options: [String: [UInt8]] = [:]
    var flags: Set<String> = []

    /// The command name used in messages (`TXN compare` for compares).
    let context: String

    init(_ tokens: some Sequence<Token>, spec: CommandSpec, context: String? = nil) throws(WireError) {
        self.spec = spec
        self.context = context ?? spec.name
        for token in tokens {
            guard token.isOption else {
                positional.append(token)
                continue
            }
            try addOption(token)
        }
        guard positional.count >= spec.requiredArguments, positional.count <= spec.maximumArguments else {
            throw WireError.arity(self.context, expected: spec.arityText, got: positional.count)
        }
    }

    private mutating func addOption(_ token: Token) throws(WireError) {
        let body = token.bytes.dropFirst(2)
        let equals = body.firstIndex(of: UInt8(ascii: "="))
        let nameBytes = body[..<(equals ?? body.endIndex)]
        let value = equals.map { Array(body[body.index(after: $0)...]) }
        let given = String(decoding: nameBytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        guard let option = spec.options.first(where: { $0.name == given || $0.aliases.contains(given) }) else {
            throw WireError.args(context, "unknown option '--\(given)'")
        }
        guard options[option.name] == nil && !flags.contains(option.name) else {
            throw WireError.args(context, "option '--\(option.name)' given more than once")
        }
        switch option.value {
        case .none:
            guard value == nil else { throw WireError.args(context, "option '--\(option.name)' takes no value") }
            flags.insert(option.name)
        case .integer, .hex, .word:
            guard let value, !value.isEmpty else {
                throw WireError.args(context, "option '--\(option.name)' needs a value (--\(option.name)=VALUE)")
            }
            options[option.name] = value
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    func int64(_ name: String) throws(WireError) -> Int64? {
        guard let value = options[name] else { return nil }
        guard let number = Integers.int64(value) else {
            throw WireError.args(context, "invalid integer '\(String(decoding: value, as: UTF8.self))' for option '--\(name)'")
        }
        return number
    }

    func hex(_ name: String) throws(WireError) -> UInt64? {
        guard let value = options[name] else { return nil }
        guard let number = Integers.hex(value) else {
            throw WireError.args(context, "invalid hexadecimal id '\(String(decoding: value, as: UTF8.self))' for option '--\(name)'")
        }
        return number
    }

    /// The index of the option's value among its allowed words.
    func word(_ name: String) throws(WireError) -> Int? {
        guard let value = options[name] else { return nil }
        let text = String(decoding: value.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        guard let option = spec.options.first(where: { $0.name == name }), case .word(let words) = option.value,
              let index = words.firstIndex(of: text) else {
            throw WireError.args(context, "invalid value '\(String(decoding: value, as: UTF8.self))' for option '--\(name)'")
        }
        return index
    }

    /// The positional argument at `index` as a hexadecimal id.
    func positionalHex(_ index: Int) throws(WireError) -> UInt64 {
        let token = positional[index]
        guard let number = Integers.hex(token.bytes) else {
            throw WireError.args(context, "invalid hexadecimal id \(token.description) for <\(spec.arguments[index])>")
        }
        return number
    }

    /// The positional argument at `index` as a decimal integer.
    func positionalInt64(_ index: Int) throws(WireError) -> Int64 {
        let token = positional[index]
        guard let number = Integers.int64(token.bytes) else {
            throw WireError.args(context, "invalid integer \(token.description) for <\(spec.arguments[index])>")
        }
        return number
    }
}

extension ByteBuffer {
    /// Writes ` --name`.
    @inlinable
    mutating func writeFlag(_ name: StaticString) {
        writeASCII(" --")
        writeASCII(name)
    }

    /// Writes ` --name=value` with a decimal value.
    @inlinable
    mutating func writeOption(_ name: StaticString, _ value: Int64) {
        writeASCII(" --")
        writeASCII(name)
        writeByte(UInt8(ascii: "="))
        writeDecimal(value)
    }
}
