import KVStore

/// `WATCH <key> [<range_end>] [--prefix] [--from-key] [--rev=N] [--prev-kv] [--no-put] [--no-delete]
/// [--progress-notify] [--watch-id=N]`
enum WatchCommand: CommandDefinition {
    static let spec = CommandSpec(.watch, arguments: ["key", "range_end"], required: 1, options: [
        OptionSpec("prefix"), OptionSpec("from-key"), OptionSpec("rev", .integer), OptionSpec("prev-kv"),
        OptionSpec("no-put"), OptionSpec("no-delete"), OptionSpec("progress-notify"), OptionSpec("watch-id", .integer),
    ])

    static func encode(_ value: WatchRequest, into buffer: inout ByteBuffer, inTxn: Bool) {
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
}

/// `UNWATCH <watch_id>`: cancels one of the connection's watches.
enum UnwatchCommand: CommandDefinition {
    static let spec = CommandSpec(.unwatch, arguments: ["watch_id"])

    static func encode(_ value: Int64, into buffer: inout ByteBuffer, inTxn: Bool) {
        buffer.writeASCII("UNWATCH ")
        buffer.writeDecimal(value)
    }

    static func decode(_ arguments: Arguments) throws(WireError) -> Int64 {
        try arguments.positionalInt64(0)
    }
}
