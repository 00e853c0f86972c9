import KVStore

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

/// `GET <key> [<range_end>] [options]`: a range read.
enum GetCommand: SpecParsedCommand {
    static var kind: CommandKind { .get }
    static let spec = CommandSpec(kind, aliases: ["RANGE"], arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"),
        OptionSpec("limit", .integer), OptionSpec("rev", .integer),
        OptionSpec("sort-order", .word(sortOrders), aliases: ["sort"]),
        OptionSpec("sort-target", .word(sortTargets), aliases: ["sort-by"]),
        OptionSpec("serializable"), OptionSpec("keys-only"), OptionSpec("count-only"),
        OptionSpec("min-mod-rev", .integer), OptionSpec("max-mod-rev", .integer),
        OptionSpec("min-create-rev", .integer), OptionSpec("max-create-rev", .integer),
    ])

    static func request(_ value: RangeRequest) -> Request { .range(value) }

    static func encode(_ value: RangeRequest, into buffer: inout ByteBuffer) {
        encode(value, into: &buffer, inTxn: false)
    }

    /// Inside a TXN line, tokens that spell a reserved word are quoted.
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

    /// Read on the whole range.
    static func authorize(_ value: RangeRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorize(value, token: token)
    }

    static func encodedSize(_ value: RangeRequest) -> Int { Protobuf.size(of: value) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .range(try ReplyDecoder.range(fields, &items))
    }
}

/// `PUT <key> <value> [options]`; with `--ignore-value` the value may be omitted. With `--ttl=N` it is
/// a `LeasedPutCommand`.
enum PutCommand: SpecParsedCommand {
    /// A top-level PUT also takes `--ttl=N` (grant a lease and put under it); a PUT inside a TXN does not.
    static var kind: CommandKind { .put }
    static let spec = CommandSpec(kind, arguments: ["key", "value"], required: 1,
                                  options: txnSpec.options + [OptionSpec("ttl", .integer)])
    /// A PUT inside a TXN.
    static let txnSpec = CommandSpec(.put, arguments: ["key", "value"], required: 1, options: [
        OptionSpec("lease", .hex), OptionSpec("prev-kv"), OptionSpec("ignore-value"), OptionSpec("ignore-lease"),
    ])

    static func request(_ value: PutRequest) -> Request { .put(value) }

    /// A top-level PUT: plain, or with `--ttl` a leased put.
    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        let arguments = try Arguments(tokens, spec: spec)
        let put = try decode(arguments)
        guard let ttl = try arguments.int64("ttl") else { return .put(put) }
        if put.lease != 0 || put.ignoreLease {
            throw WireError.args("PUT", "--ttl cannot be combined with --lease or --ignore-lease")
        }
        return LeasedPutCommand.request(LeasedPutRequest(put: put, ttl: ttl))
    }

    /// A PUT operation of a TXN (no `--ttl`).
    static func decodeInTxn(_ tokens: ArraySlice<Token>) throws(WireError) -> PutRequest {
        try decode(Arguments(tokens, spec: txnSpec))
    }

    static func encode(_ value: PutRequest, into buffer: inout ByteBuffer) {
        encode(value, into: &buffer, inTxn: false)
    }

    /// Inside a TXN line, tokens that spell a reserved word are quoted.
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

    /// Write on the key (read too for `--prev-kv`), and write on the keys of the lease it joins.
    static func authorize(_ value: PutRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorize(value, token: token)
    }

    static func encodedSize(_ value: PutRequest) -> Int { Protobuf.size(of: value) }

    /// A reply with a lease id answers `PUT … --ttl`.
    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        guard let lease = try fields.hex(name: "lease") else { return .put(try ReplyDecoder.put(fields, &items)) }
        let put = try ReplyDecoder.put(fields, &items)
        let grant = LeaseGrantResponse(header: put.header, id: Int64(bitPattern: lease), ttl: try fields.int64("ttl") ?? 0)
        return .leasedPut(LeasedPutResponse(lease: grant, put: put))
    }
}

/// `PUT <key> <value> --ttl=N [options]`: grants a lease and puts the key under it, in one revision. Its
/// verb is PUT's, which decodes it (`PutCommand.decodeRequest`); it is not in the table on its own.
enum LeasedPutCommand: CommandDefinition {
    static var kind: CommandKind { .put }
    static var spec: CommandSpec { PutCommand.spec }

    static func request(_ value: LeasedPutRequest) -> Request { .leasedPut(value) }

    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        try PutCommand.decodeRequest(tokens, maxTxnOps: maxTxnOps)
    }

    static func encode(_ value: LeasedPutRequest, into buffer: inout ByteBuffer) {
        PutCommand.encode(value.put, into: &buffer, inTxn: false)
        buffer.writeOption("ttl", value.ttl)
    }

    /// A token given must be valid (it grants a lease), then what the put needs.
    static func authorize(_ value: LeasedPutRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.validTokenIfGiven(store, token)
        try store.authorize(value.put, token: token)
    }

    /// A `LeaseGrantRequest` plus the `PutRequest`.
    static func encodedSize(_ value: LeasedPutRequest) -> Int {
        Protobuf.int64(1, value.ttl) + Protobuf.size(of: value.put)
    }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        try PutCommand.decodeReply(fields, &items)
    }
}

/// `DEL <key> [<range_end>] [--prefix] [--from-key] [--prev-kv]`
enum DelCommand: SpecParsedCommand {
    static var kind: CommandKind { .del }
    static let spec = CommandSpec(kind, aliases: ["DELETE"], arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"), OptionSpec("prev-kv"),
    ])

    static func request(_ value: DeleteRangeRequest) -> Request { .deleteRange(value) }

    static func encode(_ value: DeleteRangeRequest, into buffer: inout ByteBuffer) {
        encode(value, into: &buffer, inTxn: false)
    }

    /// Inside a TXN line, tokens that spell a reserved word are quoted.
    static func encode(_ value: DeleteRangeRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("DEL")
        writeKeyRange(value.key, value.rangeEnd, into: &buffer, inTxn: inTxn)
        if value.prevKV { buffer.writeFlag("prev-kv") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> DeleteRangeRequest {
        let (key, rangeEnd) = try keyRange(arguments)
        return DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: arguments.flag("prev-kv"))
    }

    /// Write on the range (read too for `--prev-kv`).
    static func authorize(_ value: DeleteRangeRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorize(value, token: token)
    }

    static func encodedSize(_ value: DeleteRangeRequest) -> Int { Protobuf.size(of: value) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .deleteRange(try ReplyDecoder.delete(fields, &items))
    }
}

/// `TXN [IF <compare>…] [THEN <op>…] [ELSE <op>…] END` (see `TxnSyntax`).
enum TxnCommand: CommandDefinition {
    static var kind: CommandKind { .txn }
    static let spec = CommandSpec(kind)

    static func request(_ value: TxnRequest) -> Request { .txn(value) }

    /// The nesting is bounded as it is parsed, by `--max-txn-ops`.
    static func decodeRequest(_ tokens: ArraySlice<Token>, maxTxnOps: Int) throws(WireError) -> Request {
        .txn(try TxnSyntax.decode(tokens, maxOps: maxTxnOps))
    }

    static func encode(_ value: TxnRequest, into buffer: inout ByteBuffer) {
        TxnSyntax.encode(value, into: &buffer)
    }

    /// Read on every compare, and what each operation of both branches needs, nested ones included.
    static func authorize(_ value: TxnRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorize(value, token: token)
    }

    static func encodedSize(_ value: TxnRequest) -> Int { Protobuf.size(of: value) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .txn(try ReplyDecoder.txn(fields, &items))
    }
}

/// `COMPACT <rev> [--physical]`
enum CompactCommand: SpecParsedCommand {
    static var kind: CommandKind { .compact }
    static let spec = CommandSpec(kind, arguments: ["rev"], options: [OptionSpec("physical")])

    static func request(_ value: CompactionRequest) -> Request { .compact(value) }

    static func encode(_ value: CompactionRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("COMPACT ")
        buffer.writeDecimal(value.revision)
        if value.physical { buffer.writeFlag("physical") }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> CompactionRequest {
        CompactionRequest(revision: try arguments.positionalInt64(0), physical: arguments.flag("physical"))
    }

    static func authorize(_ value: CompactionRequest, on store: Store, token: String?) throws(AuthError) {
        try Access.root(store, token)
    }

    static func encodedSize(_ value: CompactionRequest) -> Int {
        Protobuf.int64(1, value.revision) + Protobuf.bool(2, value.physical)
    }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .compact(CompactionResponse(header: try ReplyDecoder.header(fields)))
    }
}
