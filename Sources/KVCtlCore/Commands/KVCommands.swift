import KVProtocol
import KVStore

let bothPrefixAndFromKey = "`--prefix` and `--from-key` cannot be set at the same time, choose one"
let tooManyWithPrefix = "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"

/// Parses a lease ID the way etcdctl does: base-16 signed int64, no `0x`.
func parseLeaseID(_ text: String) -> Result<Int64, GoParseError> { GoParse.int64(text, base: 16) }

// MARK: get

enum GetCommand {
    static func make() -> Command {
        Command("get", short: "Gets the key or a range of keys", use: "[options] <key> [range_end]", flags: [
            .string("consistency", "Linearizable(l) or Serializable(s)", default: "l"),
            .bool("from-key", "Get keys that are greater than or equal to the given key using byte compare"),
            .bool("keys-only", "Get only the keys"),
            .int("limit", "Maximum number of results"),
            .string("order", "Order of results; ASCEND or DESCEND (ASCEND by default)"),
            .bool("prefix", "Get keys with matching prefix"),
            .bool("print-value-only", "Only write values when using the \"simple\" output format"),
            .int("rev", "Specify the kv revision"),
            .string("sort-by", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"),
        ], action: run)
    }

    /// etcdctl's `getGetOp`: arguments and flags to a range request (exit 128 / 4 on bad input).
    static func request(_ args: [String], _ flags: FlagValues) throws(CtlError) -> RangeRequest {
        guard !args.isEmpty else {
            throw .badArgs("get command needs one argument as key and an optional argument as range_end")
        }
        let prefix = flags.bool("prefix"), fromKey = flags.bool("from-key")
        if prefix && fromKey { throw .badArgs(bothPrefixAndFromKey) }
        var request = RangeRequest(key: Array(args[0].utf8))
        switch flags.string("consistency") {
        case "l": break
        case "s": request.serializable = true
        case let other: throw CtlError(ExitCode.badFeature, "unknown consistency flag \(GoText.quote(other))")
        }
        if args.count > 1 {
            if prefix || fromKey { throw .badArgs(tooManyWithPrefix) }
            request.rangeEnd = Array(args[1].utf8)
        }
        request.limit = flags.int64("limit")
        if flags.int64("rev") > 0 { request.revision = flags.int64("rev") }
        switch flags.string("order").uppercased() {
        case "ASCEND": request.sortOrder = .ascend
        case "DESCEND": request.sortOrder = .descend
        case "": request.sortOrder = .none
        default: throw CtlError(ExitCode.badFeature, "bad sort order \(flags.string("order"))")
        }
        switch flags.string("sort-by").uppercased() {
        case "CREATE": request.sortTarget = .create
        case "KEY", "": request.sortTarget = .key
        case "MODIFY": request.sortTarget = .mod
        case "VALUE": request.sortTarget = .value
        case "VERSION": request.sortTarget = .version
        default: throw CtlError(ExitCode.badFeature, "bad sort target \(flags.string("sort-by"))")
        }
        if request.sortTarget == .key && request.sortOrder == .ascend { request.sortOrder = .none }
        if request.sortTarget != .key && request.sortOrder == .none { request.sortOrder = .ascend }
        applyPrefix(&request.key, &request.rangeEnd, prefix: prefix, fromKey: fromKey)
        request.keysOnly = flags.bool("keys-only")
        return request
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        let request = try request(inv.args, inv.flags)
        var display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.range(request) }
        if inv.flags.bool("print-value-only") {
            guard display.format == .simple else { throw .badArgs("print-value-only is only for `--write-out=simple`") }
            display.valueOnly = true
        }
        try display.get(response)
    }
}

/// `--prefix` / `--from-key` applied to a key, as clientv3's `WithPrefix` / `WithFromKey`.
func applyPrefix(_ key: inout [UInt8], _ rangeEnd: inout [UInt8], prefix: Bool, fromKey: Bool) {
    if prefix {
        if key.isEmpty {
            key = [0]
            rangeEnd = [0]
        } else {
            rangeEnd = KeyRange.prefixRangeEnd(key)
        }
    }
    if fromKey {
        if key.isEmpty { key = [0] }
        rangeEnd = [0]
    }
}

// MARK: put

enum PutCommand {
    static let long = """
        Puts the given key into the store.

        When <value> begins with '-', <value> is interpreted as a flag.
        Insert '--' for workaround:

        $ put <key> -- <value>
        $ put -- <key> <value>

        If <value> isn't given as a command line argument and '--ignore-value' is not specified,
        this command tries to read the value from standard input.

        If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
        this command tries to read the value from standard input.

        For example,
        $ cat file | put <key>
        will store the content of the file to <key>.
        """

    static func make() -> Command {
        Command("put", short: "Puts the given key into the store",
                use: "[options] <key> <value> (<value> can also be given from stdin)", long: long, flags: [
            .bool("ignore-lease", "updates the key using its current lease"),
            .bool("ignore-value", "updates the key using its current value"),
            .string("lease", "lease ID (in hexadecimal) to attach to the key", default: "0"),
            .bool("prev-kv", "return the previous key-value pair before modification"),
            .int("ttl", "grant a lease with this TTL (seconds) and attach the key to it", hidden: true),
        ], action: run)
    }

    static let needsArguments = "put command needs 1 argument and input from stdin or 2 arguments"

    /// etcdctl's `getPutOp`; `stdin` is read only when the value is not an argument.
    static func request(_ args: [String], _ flags: FlagValues, stdin: () -> [UInt8]) throws(CtlError) -> PutRequest {
        guard !args.isEmpty else { throw .badArgs(needsArguments) }
        let ignoreValue = flags.bool("ignore-value")
        if ignoreValue && args.count > 1 { throw .badArgs("put command needs only 1 argument when 'ignore-value' is set") }
        var value: [UInt8] = []
        if !ignoreValue {
            if args.count > 1 {
                value = Array(args[1].utf8)
            } else {
                value = stdin()
                if value.isEmpty { throw .badArgs(needsArguments) }
            }
        }
        let lease: Int64
        switch parseLeaseID(flags.string("lease")) {
        case .success(let id): lease = id
        case .failure(let error): throw .badArgs("bad lease ID (\(error)), expecting ID in Hex")
        }
        return PutRequest(key: Array(args[0].utf8), value: value, lease: lease, prevKV: flags.bool("prev-kv"),
                          ignoreValue: ignoreValue, ignoreLease: flags.bool("ignore-lease"))
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        let request = try request(inv.args, inv.flags, stdin: { inv.console.readAll() })
        let display = try inv.display()
        if inv.flags.isSet("ttl") {
            // Our extension: grant a lease and attach the key in one step.
            if request.lease != 0 || request.ignoreLease { throw .badArgs("--ttl cannot be combined with --lease or --ignore-lease") }
            let ttl = inv.flags.int64("ttl")
            let response = try inv.call { b throws(BackendError) in try b.leasedPut(request, ttl: ttl) }
            try display.put(response.put)
            return
        }
        let response = try inv.call { b throws(BackendError) in try b.put(request) }
        try display.put(response)
    }
}

// MARK: del

enum DelCommand {
    static func make() -> Command {
        Command("del", short: "Removes the specified key or range of keys [key, range_end)",
                use: "[options] <key> [range_end]", flags: [
            .bool("from-key", "delete keys that are greater than or equal to the given key using byte compare"),
            .bool("prefix", "delete keys with matching prefix"),
            .bool("prev-kv", "return deleted key-value pairs"),
        ], action: run)
    }

    static func request(_ args: [String], _ flags: FlagValues) throws(CtlError) -> DeleteRangeRequest {
        guard args.count == 1 || args.count == 2 else {
            throw .badArgs("del command needs one argument as key and an optional argument as range_end")
        }
        let prefix = flags.bool("prefix"), fromKey = flags.bool("from-key")
        if prefix && fromKey { throw .badArgs(bothPrefixAndFromKey) }
        var request = DeleteRangeRequest(key: Array(args[0].utf8), prevKV: flags.bool("prev-kv"))
        if args.count > 1 {
            if prefix || fromKey { throw .badArgs(tooManyWithPrefix) }
            request.rangeEnd = Array(args[1].utf8)
        }
        applyPrefix(&request.key, &request.rangeEnd, prefix: prefix, fromKey: fromKey)
        return request
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        let request = try request(inv.args, inv.flags)
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.deleteRange(request) }
        try display.del(response)
    }
}

// MARK: compaction

enum CompactionCommand {
    static func make() -> Command {
        Command("compaction", short: "Compacts the event history in etcd", use: "[options] <revision>", flags: [
            .bool("physical", "'true' to wait for compaction to physically remove all old revisions"),
        ], action: run)
    }

    static func request(_ args: [String], _ flags: FlagValues) throws(CtlError) -> CompactionRequest {
        guard args.count == 1 else { throw .badArgs("compaction command needs 1 argument") }
        switch GoParse.int64(args[0]) {
        case .success(let rev): return CompactionRequest(revision: rev, physical: flags.bool("physical"))
        case .failure(let error): throw .error(error.description)
        }
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        let request = try request(inv.args, inv.flags)
        _ = try inv.call { b throws(BackendError) in try b.compact(request) }
        inv.console.line("compacted revision \(request.revision)")
    }
}
