import KVStore

/// Client side: reply lines → typed responses. A reply's layout depends on the command it answers, so
/// the caller says which one (clients match replies to requests by tag, or by order when untagged).
public enum ReplyDecoder {
    /// Decodes one reply line (without its terminator) answering a `kind` command. Throws
    /// `.protocolViolation` when the line is not a well-formed reply; an `ERR` reply is a `.failure`.
    public static func decode(_ line: [UInt8], for kind: CommandKind) throws(WireError) -> Reply {
        try decode(ReplyFrame.parse(line), for: kind)
    }

    public static func decode(_ line: String, for kind: CommandKind) throws(WireError) -> Reply {
        try decode(Array(line.utf8), for: kind)
    }

    /// Decodes an already parsed frame.
    public static func decode(_ frame: ReplyFrame, for kind: CommandKind) throws(WireError) -> Reply {
        if frame.status == .err {
            let code = String(decoding: frame.arguments[0], as: UTF8.self)
            let message = String(decoding: frame.arguments[1], as: UTF8.self)
            return Reply(tag: frame.tag, result: .failure(try WireError(code: code, message: message, fields: frame.fields)))
        }
        var items = ItemCursor(items: frame.items)
        let fields = frame.fields
        if frame.status == .event {
            let event = try watch(fields, &items)
            if let extra = items.peek {
                throw WireError.protocolViolation("malformed reply: unexpected \(extra.keyword) item in EVENT line")
            }
            return Reply(tag: frame.tag, result: .success(.watch(event)), isEvent: true)
        }
        let response = try CommandTable.definition(for: kind).decodeReply(fields, &items)
        if let extra = items.peek {
            throw WireError.protocolViolation("malformed reply: unexpected \(extra.keyword) item in \(kind.verb) reply")
        }
        return Reply(tag: frame.tag, result: .success(response))
    }

    // MARK: - Pieces

    struct ItemCursor {
        let items: [ReplyItem]
        var index = 0

        var peek: ReplyItem? { index < items.count ? items[index] : nil }

        mutating func next(_ keyword: String) throws(WireError) -> ReplyItem {
            guard let item = peek else {
                throw WireError.protocolViolation("malformed reply: missing \(keyword) item")
            }
            guard item.keyword == keyword else {
                throw WireError.protocolViolation("malformed reply: expected \(keyword) item, got \(item.keyword)")
            }
            index += 1
            return item
        }

        mutating func next(_ keyword: String, count: Int64?) throws(WireError) -> [ReplyItem] {
            guard let count, count >= 0, count <= Int64(items.count - index) else {
                throw WireError.protocolViolation("malformed reply: bad \(keyword) item count")
            }
            var result: [ReplyItem] = []
            // Checked above: at most the items already parsed, never what the count claims.
            result.reserveCapacity(Int(count))
            for _ in 0..<count { result.append(try next(keyword)) }
            return result
        }
    }

    static func leaseID(_ fields: Fields) throws(WireError) -> Int64 {
        Int64(bitPattern: try fields.hex(name: "id") ?? 0)
    }

    /// The body shared by `WATCH`/`UNWATCH` replies and `EVENT` lines.
    static func watch(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> WatchResponse {
        var response = WatchResponse(header: try header(fields), watchID: try fields.int64("watch_id") ?? 0,
                                     created: try fields.bool("created") ?? false,
                                     canceled: try fields.bool("canceled") ?? false,
                                     compactRevision: try fields.int64("compact_rev") ?? 0)
        let count = try fields.int64("events") ?? 0
        guard count >= 0, count <= Int64(items.items.count) else {
            throw WireError.protocolViolation("malformed reply: bad EV item count")
        }
        for _ in 0..<count {
            let item = try items.next("EV")
            let type: Event.EventType
            switch item.arguments[0] {
            case Array("PUT".utf8): type = .put
            case Array("DELETE".utf8): type = .delete
            default: throw WireError.protocolViolation("malformed reply: bad EV item type")
            }
            let kv = try keyValue(try items.next("KV"))
            let hasPrev = try item.fields.bool("prev") ?? false
            let prev = hasPrev ? try keyValue(try items.next("KV")) : nil
            response.events.append(Event(type: type, kv: kv, prevKV: prev))
        }
        if let item = items.peek, item.keyword == "REASON" {
            response.cancelReason = String(decoding: item.arguments[0], as: UTF8.self)
            items.index += 1
        }
        return response
    }

    static func header(_ fields: Fields) throws(WireError) -> ResponseHeader {
        guard let revision = try fields.int64("rev") else {
            throw WireError.protocolViolation("malformed reply: missing field rev")
        }
        return ResponseHeader(clusterID: try fields.hex(name: "cluster") ?? 0, memberID: try fields.hex(name: "member") ?? 0,
                              revision: revision, raftTerm: try fields.uint64("term") ?? 0)
    }

    static func keyValue(_ item: ReplyItem) throws(WireError) -> KeyValue {
        let a = item.arguments
        guard let create = Integers.int64(a[2]), let mod = Integers.int64(a[3]), let version = Integers.int64(a[4]),
              let lease = Integers.hex(a[5]) else {
            throw WireError.protocolViolation("malformed reply: bad KV item")
        }
        return KeyValue(key: a[0], value: a[1], createRevision: create, modRevision: mod, version: version,
                        lease: Int64(bitPattern: lease))
    }

    static func keyValues(_ count: Int64?, _ items: inout ItemCursor) throws(WireError) -> [KeyValue] {
        var kvs: [KeyValue] = []
        for item in try items.next("KV", count: count) { kvs.append(try keyValue(item)) }
        return kvs
    }

    static func range(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> RangeResponse {
        RangeResponse(header: try header(fields), kvs: try keyValues(try fields.int64("kvs") ?? 0, &items),
                      more: try fields.bool("more") ?? false, count: try fields.int64("count") ?? 0)
    }

    static func put(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> PutResponse {
        let prev = try keyValues(try fields.int64("prev") ?? 0, &items)
        guard prev.count <= 1 else { throw WireError.protocolViolation("malformed reply: PUT has one previous KV at most") }
        return PutResponse(header: try header(fields), prevKV: prev.first)
    }

    static func delete(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> DeleteRangeResponse {
        DeleteRangeResponse(header: try header(fields), deleted: try fields.int64("deleted") ?? 0,
                            prevKVs: try keyValues(try fields.int64("prev") ?? 0, &items))
    }

    /// A `TXN` reply; `depth` counts the levels down to this one (1 for the outer reply). A reply nests
    /// no deeper than the request it answers, so nesting more than `TxnLimits.maximumNestingDepth`
    /// levels inside the outer reply is malformed: it is refused before descending, so a hostile server
    /// cannot exhaust the client's stack.
    static func txn(_ fields: Fields, _ items: inout ItemCursor, depth: Int = 1) throws(WireError) -> TxnResponse {
        guard let count = try fields.int64("responses"), count >= 0 else {
            throw WireError.protocolViolation("malformed reply: TXN needs responses=N")
        }
        // Each response is at least one item.
        guard count <= Int64(items.items.count - items.index) else {
            throw WireError.protocolViolation("malformed reply: bad TXN response count")
        }
        var responses: [ResponseOp] = []
        for _ in 0..<count {
            guard let item = items.peek else { throw WireError.protocolViolation("malformed reply: missing TXN response item") }
            items.index += 1
            switch item.keyword {
            case "RANGE": responses.append(.range(try range(item.fields, &items)))
            case "PUT": responses.append(.put(try put(item.fields, &items)))
            case "DEL": responses.append(.deleteRange(try delete(item.fields, &items)))
            case "TXN":
                guard depth <= TxnLimits.maximumNestingDepth else {
                    throw WireError.protocolViolation("malformed reply: TXN responses nested more than \(TxnLimits.maximumNestingDepth) levels deep")
                }
                responses.append(.txn(try txn(item.fields, &items, depth: depth + 1)))
            default: throw WireError.protocolViolation("malformed reply: unexpected \(item.keyword) item in TXN reply")
            }
        }
        return TxnResponse(header: try header(fields), succeeded: try fields.bool("succeeded") ?? false, responses: responses)
    }

    static func status(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> StatusResponse {
        var errors: [String] = []
        for item in try items.next("ERROR", count: try fields.int64("errors") ?? 0) {
            errors.append(String(decoding: item.arguments[0], as: UTF8.self))
        }
        return StatusResponse(header: try header(fields), version: fields.text("version") ?? "",
                              dbSize: try fields.int64("db_size") ?? 0, dbSizeInUse: try fields.int64("db_size_in_use") ?? 0,
                              leader: try fields.hex(name: "leader") ?? 0, raftIndex: try fields.uint64("raft_index") ?? 0,
                              raftTerm: try fields.uint64("raft_term") ?? 0,
                              raftAppliedIndex: try fields.uint64("raft_applied_index") ?? 0,
                              compactRevision: try fields.int64("compact_rev") ?? 0,
                              isLearner: try fields.bool("learner") ?? false, errors: errors)
    }

    static func members(_ fields: Fields, _ items: inout ItemCursor) throws(WireError) -> MemberListResponse {
        var members: [Member] = []
        let count = try fields.int64("members") ?? 0
        guard count >= 0, count <= Int64(items.items.count) else {
            throw WireError.protocolViolation("malformed reply: bad MEMBER item count")
        }
        for _ in 0..<count {
            let item = try items.next("MEMBER")
            let peers = try items.next("PEER", count: try item.fields.int64("peers") ?? 0)
            let clients = try items.next("CLIENT", count: try item.fields.int64("clients") ?? 0)
            members.append(Member(id: try item.fields.hex(name: "id") ?? 0,
                                  name: String(decoding: item.arguments[0], as: UTF8.self),
                                  peerURLs: peers.map { String(decoding: $0.arguments[0], as: UTF8.self) },
                                  clientURLs: clients.map { String(decoding: $0.arguments[0], as: UTF8.self) },
                                  isLearner: try item.fields.bool("learner") ?? false))
        }
        return MemberListResponse(header: try header(fields), members: members)
    }

    /// Lower-case or upper-case hex digits to bytes; nil for an odd count or a bad digit.
    static func hexBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: text.count / 2)
        for i in 0..<bytes.count {
            guard let high = Tokenizer.hexValue(text[2 * i]), let low = Tokenizer.hexValue(text[2 * i + 1]) else { return nil }
            bytes[i] = high << 4 | low
        }
        return bytes
    }
}
