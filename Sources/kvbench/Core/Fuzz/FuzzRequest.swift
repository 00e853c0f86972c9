import KVProtocol

/// A value the fuzzer writes into a number's place: a positional number or an option's value.
public enum FuzzValue: Hashable, Sendable {
    /// A decimal integer (revisions, counts, TTLs, watch ids).
    case decimal(Int64)
    /// A 64-bit id in lower-case hexadecimal without prefix (lease ids), as encoders write it.
    case hex(UInt64)
    /// Text written as it is: a word option's value (`ascend`), or a number a mutator rewrote (`0x10`, `+5`).
    case word(String)

    /// The bytes on the wire.
    public var text: String {
        switch self {
        case .decimal(let value): String(value)
        case .hex(let value): String(value, radix: 16)
        case .word(let text): text
        }
    }

    /// Whether the command reads this place as a number (the places numeric mutations aim at).
    public var isNumeric: Bool {
        switch self {
        case .decimal, .hex: true
        case .word: false
        }
    }
}

/// One token of a fuzzed request before it becomes bytes: enough structure for a mutator to aim at a
/// number, a flag or a key, while ``FuzzToken/raw(_:)`` carries whatever a mutator made of it.
public enum FuzzToken: Hashable, Sendable {
    /// A verb or a word of TXN syntax (`IF`, `THEN`, `=`, `END`), written as it is.
    case word(String)
    /// Key, value, name or password bytes, written as one token in the given style (see ``DataQuoting``).
    case data([UInt8], DataQuoting.Style)
    /// A positional number.
    case number(FuzzValue)
    /// `--name`.
    case flag(String)
    /// `--name=value`.
    case option(String, FuzzValue)
    /// Bytes written exactly as they are.
    case raw([UInt8])

    /// Whether this is an option (`--name` or `--name=value`).
    public var isOption: Bool {
        switch self {
        case .flag, .option: true
        default: false
        }
    }
}

/// A request line as the fuzzer builds it: an optional tag, tokens (verb first), how tokens are
/// separated and how the line ends.
///
/// Rendering follows docs/PROTOCOL.md §1–§4: `[@tag ]token( token)*\n`. A request made by
/// ``RequestGenerator`` and not mutated since renders to a line that `RequestDecoder.decode` accepts.
public struct FuzzRequest: Hashable, Sendable {
    /// The command the request was generated as (mutations may since have made it something else).
    public var command: CommandKind
    /// The tag's bytes, without the `@`; nil for an untagged request.
    public var tag: [UInt8]?
    public var tokens: [FuzzToken]
    /// Between tokens: a space, or any run of spaces and tabs.
    public var separator: [UInt8] = [UInt8(ascii: " ")]
    /// `\n`, or `\r\n`.
    public var terminator: [UInt8] = [UInt8(ascii: "\n")]

    public init(command: CommandKind, tag: [UInt8]? = nil, tokens: [FuzzToken]) {
        self.command = command
        self.tag = tag
        self.tokens = tokens
    }

    /// The line's bytes, terminator included.
    public func render() -> [UInt8] {
        var bytes: [UInt8] = []
        render(into: &bytes)
        return bytes
    }

    public func render(into bytes: inout [UInt8]) {
        if let tag {
            bytes.append(UInt8(ascii: "@"))
            bytes += tag
            bytes += separator
        }
        // Inside a TXN line, data spelling a reserved word must be quoted (§8 TXN).
        let avoidReserved = command == .txn
        for (index, token) in tokens.enumerated() {
            if index > 0 { bytes += separator }
            switch token {
            case .word(let text): bytes += text.utf8
            case .data(let data, let style): DataQuoting.write(data, style: style, avoidingReservedWords: avoidReserved, into: &bytes)
            case .number(let value): bytes += value.text.utf8
            case .flag(let name): bytes += "--\(name)".utf8
            case .option(let name, let value): bytes += "--\(name)=\(value.text)".utf8
            case .raw(let raw): bytes += raw
            }
        }
        bytes += terminator
    }
}
