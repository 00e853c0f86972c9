import KVStore

/// One command, defined once: its spec, how a client writes it and how a server reads it.
protocol CommandDefinition {
    associatedtype Value
    static var spec: CommandSpec { get }
    /// Writes the verb and arguments (no tag, no line terminator). Inside a TXN line, tokens that spell
    /// a reserved word are quoted.
    static func encode(_ value: Value, into buffer: inout ByteBuffer, inTxn: Bool)
    static func decode(_ arguments: Arguments) throws(WireError) -> Value
}

extension CommandDefinition {
    static func decode(_ tokens: some Sequence<Token>) throws(WireError) -> Value {
        try decode(Arguments(tokens, spec: spec))
    }
}

/// Applies `--prefix` / `--from-key` to a key and optional explicit range end.
func keyRange(_ arguments: Arguments) throws(WireError) -> (key: [UInt8], rangeEnd: [UInt8]) {
    let key = arguments.positional[0].bytes
    let explicitEnd = arguments.positional.count > 1 ? arguments.positional[1].bytes : nil
    let prefix = arguments.flag("prefix")
    let fromKey = arguments.flag("from-key")
    if prefix && fromKey {
        throw WireError.args(arguments.context, "--prefix and --from-key cannot be combined")
    }
    if let explicitEnd {
        if prefix || fromKey {
            throw WireError.args(arguments.context, "\(prefix ? "--prefix" : "--from-key") cannot be combined with <range_end>")
        }
        return (key, explicitEnd)
    }
    if prefix { return KeyRange.prefix(key).wire }
    if fromKey { return (key, [0]) }
    return (key, [])
}

private func writeKeyRange(_ key: [UInt8], _ rangeEnd: [UInt8], into buffer: inout ByteBuffer, inTxn: Bool) {
    buffer.writeByte(UInt8(ascii: " "))
    buffer.writeToken(key, avoidingReservedWords: inTxn)
    if !rangeEnd.isEmpty {
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeToken(rangeEnd, avoidingReservedWords: inTxn)
    }
}

private let sortOrders = ["none", "ascend", "descend"]
private let sortTargets = ["key", "version", "create", "mod", "value"]

/// `HELLO <version>`
enum HelloCommand: CommandDefinition {
    static let spec = CommandSpec(.hello, arguments: ["version"])

    static func encode(_ value: HelloRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("HELLO ")
        buffer.writeDecimal(value.protocolVersion)
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> HelloRequest {
        HelloRequest(protocolVersion: try arguments.positionalInt64(0))
    }
}

/// Commands without arguments or options.
enum BareCommand {
    static let ping = CommandSpec(.ping)
    static let status = CommandSpec(.status)
    static let members = CommandSpec(.members)
    static let health = CommandSpec(.health)
    static let leaseList = CommandSpec(.leaseList)
    static let progress = CommandSpec(.progress)
    static let snapshotNext = CommandSpec(.snapshotNext)
    static let defrag = CommandSpec(.defrag)
}

/// `ALARM LIST` | `ALARM DISARM`
enum AlarmCommand {
    static let spec = CommandSpec(.alarm, arguments: ["LIST|DISARM"])

    static func decode(_ arguments: ArraySlice<Token>) throws(WireError) -> AlarmAction {
        let parsed = try Arguments(arguments, spec: spec)
        let token = parsed.positional[0]
        let word = String(decoding: token.bytes, as: UTF8.self).uppercased()
        guard let action = AlarmAction(rawValue: word) else {
            throw WireError.args("ALARM", "invalid action \(token.description) (LIST or DISARM)")
        }
        return action
    }
}

/// `SNAPSHOT [--rev=N]`
enum SnapshotCommand: CommandDefinition {
    static let spec = CommandSpec(.snapshot, options: [OptionSpec("rev", .integer)])

    static func encode(_ value: SnapshotRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("SNAPSHOT")
        if value.revision != 0 { buffer.writeOption("rev", value.revision) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> SnapshotRequest {
        SnapshotRequest(revision: try arguments.int64("rev") ?? 0)
    }
}

/// `GET <key> [<range_end>] [options]`: a range read.
enum GetCommand: CommandDefinition {
    static let spec = CommandSpec(.get, aliases: ["RANGE"], arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"),
        OptionSpec("limit", .integer), OptionSpec("rev", .integer),
        OptionSpec("sort-order", .word(sortOrders), aliases: ["sort"]),
        OptionSpec("sort-target", .word(sortTargets), aliases: ["sort-by"]),
        OptionSpec("serializable"), OptionSpec("keys-only"), OptionSpec("count-only"),
        OptionSpec("min-mod-rev", .integer), OptionSpec("max-mod-rev", .integer),
        OptionSpec("min-create-rev", .integer), OptionSpec("max-create-rev", .integer),
    ])

    static func encode(_ value: RangeRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("GET")
        writeKeyRange(value.key, value.rangeEnd, into: &buffer, inTxn: inTxn)
        if value.limit != 0 { buffer.writeOption("limit", value.limit) }
        if value.revision != 0 { buffer.writeOption("rev", value.revision) }
        switch value.sortOrder {
        case .none: break
        case .ascend: buffer.writeASCII(" --sort-order=ascend")
        case .descend: buffer.writeASCII(" --sort-order=descend")
        }
        switch value.sortTarget {
        case .key: break
        case .version: buffer.writeASCII(" --sort-target=version")
        case .create: buffer.writeASCII(" --sort-target=create")
        case .mod: buffer.writeASCII(" --sort-target=mod")
        case .value: buffer.writeASCII(" --sort-target=value")
        }
        if value.serializable { buffer.writeFlag("serializable") }
        if value.keysOnly { buffer.writeFlag("keys-only") }
        if value.countOnly { buffer.writeFlag("count-only") }
        if value.minModRevision != 0 { buffer.writeOption("min-mod-rev", value.minModRevision) }
        if value.maxModRevision != 0 { buffer.writeOption("max-mod-rev", value.maxModRevision) }
        if value.minCreateRevision != 0 { buffer.writeOption("min-create-rev", value.minCreateRevision) }
        if value.maxCreateRevision != 0 { buffer.writeOption("max-create-rev", value.maxCreateRevision) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> RangeRequest {
        let (key, rangeEnd) = try keyRange(arguments)
        var request = RangeRequest(key: key, rangeEnd: rangeEnd)
        request.limit = try arguments.int64("limit") ?? 0
        request.revision = try arguments.int64("rev") ?? 0
        if let order = try arguments.word("sort-order") { request.sortOrder = SortOrder(rawValue: order) ?? .none }
        if let target = try arguments.word("sort-target") { request.sortTarget = SortTarget(rawValue: target) ?? .key }
        request.serializable = arguments.flag("serializable")
        request.keysOnly = arguments.flag("keys-only")
        request.countOnly = arguments.flag("count-only")
        request.minModRevision = try arguments.int64("min-mod-rev") ?? 0
        request.maxModRevision = try arguments.int64("max-mod-rev") ?? 0
        request.minCreateRevision = try arguments.int64("min-create-rev") ?? 0
        request.maxCreateRevision = try arguments.int64("max-create-rev") ?? 0
        return request
    }
}

/// `PUT <key> <value> [options]`; with `--ignore-value` the value may be omitted.
enum PutCommand: CommandDefinition {
    static let spec = CommandSpec(.put, arguments: ["key", "value"], required: 1, options: [
        OptionSpec("lease", .hex), OptionSpec("prev-kv"), OptionSpec("ignore-value"), OptionSpec("ignore-lease"),
    ])
    /// A top-level PUT also takes `--ttl=N` (grant a lease and put under it); a PUT inside a TXN does not.
    static let topLevelSpec = CommandSpec(.put, arguments: ["key", "value"], required: 1,
                                          options: spec.options + [OptionSpec("ttl", .integer)])

    /// `PUT … --ttl=N`
    static func encode(_ value: LeasedPutRequest, into buffer: inout ByteBuffer) {
        encode(value.put, into: &buffer, inTxn: false)
        buffer.writeOption("ttl", value.ttl)
    }

    /// A top-level PUT: plain, or with `--ttl` a leased put.
    static func decodeTopLevel(_ tokens: ArraySlice<Token>) throws(WireError) -> Request {
        let arguments = try Arguments(tokens, spec: topLevelSpec)
        let put = try decode(arguments)
        guard let ttl = try arguments.int64("ttl") else { return .put(put) }
        if put.lease != 0 || put.ignoreLease {
            throw WireError.args("PUT", "--ttl cannot be combined with --lease or --ignore-lease")
        }
        return .leasedPut(LeasedPutRequest(put: put, ttl: ttl))
    }

    static func encode(_ value: PutRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("PUT ")
        buffer.writeToken(value.key, avoidingReservedWords: inTxn)
        if !(value.ignoreValue && value.value.isEmpty) {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeToken(value.value, avoidingReservedWords: inTxn)
        }
        if value.lease != 0 {
            buffer.writeASCII(" --lease=")
            buffer.writeHex(UInt64(bitPattern: value.lease))
        }
        if value.prevKV { buffer.writeFlag("prev-kv") }
        if value.ignoreValue { buffer.writeFlag("ignore-value") }
        if value.ignoreLease { buffer.writeFlag("ignore-lease") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> PutRequest {
        let ignoreValue = arguments.flag("ignore-value")
        if !ignoreValue && arguments.positional.count != 2 {
            throw WireError.arity("PUT", expected: "2", got: arguments.positional.count)
        }
        let value = arguments.positional.count > 1 ? arguments.positional[1].bytes : []
        let lease = try arguments.hex("lease").map { Int64(bitPattern: $0) } ?? 0
        return PutRequest(key: arguments.positional[0].bytes, value: value, lease: lease,
                          prevKV: arguments.flag("prev-kv"), ignoreValue: ignoreValue,
                          ignoreLease: arguments.flag("ignore-lease"))
    }
}

/// `DEL <key> [<range_end>] [--prefix] [--from-key] [--prev-kv]`
enum DelCommand: CommandDefinition {
    static let spec = CommandSpec(.del, aliases: ["DELETE"], arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"), OptionSpec("prev-kv"),
    ])

    static func encode(_ value: DeleteRangeRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("DEL")
        writeKeyRange(value.key, value.rangeEnd, into: &buffer, inTxn: inTxn)
        if value.prevKV { buffer.writeFlag("prev-kv") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> DeleteRangeRequest {
        let (key, rangeEnd) = try keyRange(arguments)
        return DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: arguments.flag("prev-kv"))
    }
}

/// `COMPACT <rev> [--physical]`
enum CompactCommand: CommandDefinition {
    static let spec = CommandSpec(.compact, arguments: ["rev"], options: [OptionSpec("physical")])

    static func encode(_ value: CompactionRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("COMPACT ")
        buffer.writeDecimal(value.revision)
        if value.physical { buffer.writeFlag("physical") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> CompactionRequest {
        CompactionRequest(revision: try arguments.positionalInt64(0), physical: arguments.flag("physical"))
    }
}

/// `HASH [--rev=N]`
enum HashCommand: CommandDefinition {
    static let spec = CommandSpec(.hash, options: [OptionSpec("rev", .integer)])

    static func encode(_ value: HashKVRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("HASH")
        if value.revision != 0 { buffer.writeOption("rev", value.revision) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> HashKVRequest {
        HashKVRequest(revision: try arguments.int64("rev") ?? 0)
    }
}

/// `TXN [IF <compare>…] [THEN <op>…] [ELSE <op>…] END` (see `TxnSyntax`).
enum TxnCommand {
    static let spec = CommandSpec(.txn)
}
