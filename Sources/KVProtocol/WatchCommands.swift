import KVStore

/// `WATCH <key> [<range_end>] [--prefix] [--from-key] [--rev=N] [--prev-kv] [--no-put] [--no-delete]
/// [--progress-notify] [--watch-id=N]`
enum WatchCommand: SpecParsedCommand {
    static var kind: CommandKind { .watch }
    static let spec = CommandSpec(kind, arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"), OptionSpec("rev", .integer), OptionSpec("prev-kv"),
        OptionSpec("no-put"), OptionSpec("no-delete"), OptionSpec("progress-notify"), OptionSpec("watch-id", .integer),
    ])

    static func request(_ value: WatchRequest) -> Request { .watch(value) }

    static func encode(_ value: WatchRequest, into buffer: inout ByteBuffer) {
        buffer.writeASCII("WATCH ")
        buffer.writeToken(value.key)
        if !value.rangeEnd.isEmpty {
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeToken(value.rangeEnd)
        }
        if value.startRevision != 0 { buffer.writeOption("rev", value.startRevision) }
        if value.prevKV { buffer.writeFlag("prev-kv") }
        if value.noPut { buffer.writeFlag("no-put") }
        if value.noDelete { buffer.writeFlag("no-delete") }
        if value.progressNotify { buffer.writeFlag("progress-notify") }
        if value.watchID != 0 { buffer.writeOption("watch-id", value.watchID) }
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> WatchRequest {
        let (key, rangeEnd) = try keyRange(arguments)
        return WatchRequest(key: key, rangeEnd: rangeEnd, startRevision: try arguments.int64("rev") ?? 0,
                            prevKV: arguments.flag("prev-kv"), noPut: arguments.flag("no-put"),
                            noDelete: arguments.flag("no-delete"), progressNotify: arguments.flag("progress-notify"),
                            watchID: try arguments.int64("watch-id") ?? 0)
    }

    /// Read on the whole range.
    static func authorize(_ value: WatchRequest, on store: Store, token: String?) throws(AuthError) {
        try store.authorize(value, token: token)
    }

    /// `WatchRequest{create_request: WatchCreateRequest{…}}`; filters are a packed repeated enum.
    static func encodedSize(_ value: WatchRequest) -> Int {
        let filters = (value.noPut ? 1 : 0) + (value.noDelete ? 1 : 0)
        let create = Protobuf.bytes(1, value.key) + Protobuf.bytes(2, value.rangeEnd)
            + Protobuf.int64(3, value.startRevision) + Protobuf.bool(4, value.progressNotify)
            + (filters > 0 ? Protobuf.delimited(5, filters) : 0)
            + Protobuf.bool(6, value.prevKV) + Protobuf.int64(7, value.watchID)
        return Protobuf.delimited(1, create)
    }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .watch(try ReplyDecoder.watch(fields, &items))
    }
}

/// `UNWATCH <watch_id>`: cancels one of the connection's watches.
enum UnwatchCommand: SpecParsedCommand {
    static var kind: CommandKind { .unwatch }
    static let spec = CommandSpec(kind, arguments: ["watch_id"])

    static func request(_ value: Int64) -> Request { .unwatch(value) }

    static func encode(_ value: Int64, into buffer: inout ByteBuffer) {
        buffer.writeASCII("UNWATCH ")
        buffer.writeDecimal(value)
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> Int64 {
        try arguments.positionalInt64(0)
    }

    /// A connection cancels only its own watches.
    static func authorize(_ value: Int64, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// `WatchRequest{cancel_request: WatchCancelRequest{watch_id}}`.
    static func encodedSize(_ value: Int64) -> Int { Protobuf.delimited(2, Protobuf.int64(1, value)) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .unwatch(try ReplyDecoder.watch(fields, &items))
    }
}

/// `PROGRESS`: a progress notification on every watch of the connection.
enum ProgressCommand: BareCommandDefinition {
    static var kind: CommandKind { .progress }
    static let spec = CommandSpec(kind)

    static func request(_ value: Void) -> Request { .progress }

    /// It reports only revisions, on the connection's own watches.
    static func authorize(_ value: Void, on store: Store, token: String?) throws(AuthError) {
        try Access.open(store, token)
    }

    /// `WatchRequest{progress_request: WatchProgressRequest{}}`.
    static func encodedSize(_ value: Void) -> Int { Protobuf.delimited(3, 0) }

    static func decodeReply(_ fields: Fields, _ items: inout ReplyDecoder.ItemCursor) throws(WireError) -> Response {
        .progress(try ReplyDecoder.header(fields))
    }
}
