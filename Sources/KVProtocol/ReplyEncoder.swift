import KVStore

/// Server side: typed responses → one reply line each, written straight into a `ByteBuffer`.
///
/// Every function appends exactly one line, `\n` included. Nothing is allocated besides buffer growth.
public enum ReplyEncoder {
    /// Appends the reply for `response`.
    public static func encode(_ response: Response, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        switch response {
        case .hello(let value): encode(value, tag: tag, into: &buffer)
        case .pong: encodePong(tag: tag, into: &buffer)
        case .range(let value): encode(value, tag: tag, into: &buffer)
        case .put(let value): encode(value, tag: tag, into: &buffer)
        case .deleteRange(let value): encode(value, tag: tag, into: &buffer)
        case .txn(let value): encode(value, tag: tag, into: &buffer)
        case .compact(let value): encode(value, tag: tag, into: &buffer)
        case .status(let value): encode(value, tag: tag, into: &buffer)
        case .memberList(let value): encode(value, tag: tag, into: &buffer)
        case .health(let value): encode(value, tag: tag, into: &buffer)
        case .hashKV(let value): encode(value, tag: tag, into: &buffer)
        case .leasedPut(let value): encode(value, tag: tag, into: &buffer)
        case .leaseGrant(let value): encode(value, tag: tag, into: &buffer)
        case .leaseRevoke(let value): encodeHeaderOnly(value.header, tag: tag, into: &buffer)
        case .leaseKeepAlive(let value): encode(value, tag: tag, into: &buffer)
        case .leaseTimeToLive(let value): encode(value, tag: tag, into: &buffer)
        case .leaseList(let value): encode(value, tag: tag, into: &buffer)
        case .watch(let value), .unwatch(let value): encode(value, tag: tag, into: &buffer)
        case .progress(let header): encodeHeaderOnly(header, tag: tag, into: &buffer)
        case .snapshot(let value): encode(value, tag: tag, into: &buffer)
        case .snapshotChunk(let value): encode(value, tag: tag, into: &buffer)
        case .auth(let kind, let value): encode(value, kind: kind, tag: tag, into: &buffer)
        case .defragment(let header): encodeHeaderOnly(header, tag: tag, into: &buffer)
        case .alarm(let value): encode(value, tag: tag, into: &buffer)
        }
    }

    /// Appends `[@tag] ERR <CODE> "<message>" [fields]`.
    public static func encode(_ error: WireError, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("ERR ")
        buffer.writeString(error.code)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeQuoted(Array(error.message.utf8))
        error.writeFields(into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// Appends the reply for `result`.
    public static func encode(_ result: Result<Response, WireError>, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        switch result {
        case .success(let response): encode(response, tag: tag, into: &buffer)
        case .failure(let error): encode(error, tag: tag, into: &buffer)
        }
    }

    /// The reply line for `result` as bytes (terminator included); for tests and tools.
    public static func line(_ result: Result<Response, WireError>, tag: RequestTag? = nil) -> [UInt8] {
        var buffer = ByteBuffer()
        encode(result, tag: tag, into: &buffer)
        return buffer.readAll()
    }

    // MARK: - One function per response type

    public static func encode(_ value: HelloResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("OK")
        buffer.writeField("proto", value.protocolVersion)
        buffer.writeField("server", text: value.server)
        buffer.writeField("version", text: value.version)
        if !value.etcdVersion.isEmpty { buffer.writeField("etcd", text: value.etcdVersion) }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encodePong(tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("OK\n")
    }

    public static func encode(_ value: RangeResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: PutResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: DeleteRangeResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: TxnResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: CompactionResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: StatusResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("version", text: value.version)
        buffer.writeField("db_size", value.dbSize)
        buffer.writeField("db_size_in_use", value.dbSizeInUse)
        buffer.writeHexField("leader", value.leader)
        buffer.writeField("raft_index", unsigned: value.raftIndex)
        buffer.writeField("raft_term", unsigned: value.raftTerm)
        buffer.writeField("raft_applied_index", unsigned: value.raftAppliedIndex)
        buffer.writeField("compact_rev", value.compactRevision)
        buffer.writeField("learner", value.isLearner)
        buffer.writeField("errors", Int64(value.errors.count))
        for error in value.errors {
            buffer.writeASCII(" ERROR ")
            buffer.writeToken(error)
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: MemberListResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("members", Int64(value.members.count))
        for member in value.members {
            buffer.writeASCII(" MEMBER ")
            buffer.writeToken(member.name)
            buffer.writeHexField("id", member.id)
            buffer.writeField("learner", member.isLearner)
            buffer.writeField("peers", Int64(member.peerURLs.count))
            buffer.writeField("clients", Int64(member.clientURLs.count))
            for url in member.peerURLs {
                buffer.writeASCII(" PEER ")
                buffer.writeToken(url)
            }
            for url in member.clientURLs {
                buffer.writeASCII(" CLIENT ")
                buffer.writeToken(url)
            }
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: HealthResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("OK")
        buffer.writeField("health", value.health)
        if !value.reason.isEmpty {
            buffer.writeASCII(" REASON ")
            buffer.writeToken(value.reason)
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `OK <header> alarms=N` then ` ALARM <member-id-hex> <name>` per alarm.
    public static func encode(_ value: AlarmResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("alarms", Int64(value.alarms.count))
        for alarm in value.alarms {
            buffer.writeASCII(" ALARM ")
            buffer.writeToken(String(alarm.memberID, radix: 16))
            buffer.writeByte(UInt8(ascii: " "))
            buffer.writeToken(alarm.alarm)
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: HashKVResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("hash", unsigned: UInt64(value.hash))
        buffer.writeField("compact_rev", value.compactRevision)
        buffer.writeField("hash_rev", value.hashRevision)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: SnapshotStartResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("snapshot_rev", value.snapshotRevision)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `[@tag ]OK done=0|1 [size=N sha256=HEX] data=HEX` (the data as lower-case hex).
    public static func encode(_ value: SnapshotChunk, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("OK")
        buffer.writeField("done", value.done)
        if value.done {
            buffer.writeField("size", value.size)
            buffer.writeASCII(" sha256=")
            for byte in value.sha256 { buffer.writeHexByte(byte) }
        }
        buffer.writeASCII(" data=")
        buffer.reserveCapacity(writable: value.data.count * 2 + 1)
        for byte in value.data { buffer.writeHexByte(byte) }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `[@tag ]OK <header>`
    public static func encodeHeaderOnly(_ header: ResponseHeader, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, header, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `OK <header> prev=N lease=<hex> ttl=<s> [KV …]`
    public static func encode(_ value: LeasedPutResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.put.header, into: &buffer)
        buffer.writeField("prev", Int64(value.put.prevKV == nil ? 0 : 1))
        buffer.writeHexField("lease", UInt64(bitPattern: value.lease.id))
        buffer.writeField("ttl", value.lease.ttl)
        if let prev = value.put.prevKV { writeKV(prev, into: &buffer) }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: LeaseGrantResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeHexField("id", UInt64(bitPattern: value.id))
        buffer.writeField("ttl", value.ttl)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    public static func encode(_ value: LeaseKeepAliveResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeHexField("id", UInt64(bitPattern: value.id))
        buffer.writeField("ttl", value.ttl)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `OK <header> id= ttl= granted_ttl= keys=N` + N `KEY <key>` items.
    public static func encode(_ value: LeaseTimeToLiveResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeHexField("id", UInt64(bitPattern: value.id))
        buffer.writeField("ttl", value.ttl)
        buffer.writeField("granted_ttl", value.grantedTTL)
        buffer.writeField("keys", Int64(value.keys.count))
        for key in value.keys {
            buffer.writeASCII(" KEY ")
            buffer.writeToken(key)
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `OK <header> leases=N` + N `LEASE <hex id>` items.
    public static func encode(_ value: LeaseLeasesResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        buffer.writeField("leases", Int64(value.leases.count))
        for id in value.leases {
            buffer.writeASCII(" LEASE ")
            buffer.writeHex(UInt64(bitPattern: id))
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `OK <watch body>`: the reply to `WATCH` or `UNWATCH`.
    public static func encode(_ value: WatchResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        begin(tag, value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// `[@tag ]EVENT <watch body>`: an unsolicited watch response, tagged like the `WATCH` request.
    public static func encodeEvent(_ value: WatchResponse, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("EVENT")
        writeHeader(value.header, into: &buffer)
        writeBody(value, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// ` watch_id=N [created=1] [canceled=1] [compact_rev=N] events=N` then per event
    /// ` EV PUT|DELETE prev=0|1 KV … [KV …]`, then ` REASON <text>` when a cancel reason is given.
    static func writeBody(_ value: WatchResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("watch_id", value.watchID)
        if value.created { buffer.writeField("created", true) }
        if value.canceled { buffer.writeField("canceled", true) }
        if value.compactRevision != 0 { buffer.writeField("compact_rev", value.compactRevision) }
        buffer.writeField("events", Int64(value.events.count))
        for event in value.events {
            buffer.writeASCII(event.type == .put ? " EV PUT" : " EV DELETE")
            buffer.writeField("prev", event.prevKV != nil)
            writeKV(event.kv, into: &buffer)
            if let prev = event.prevKV { writeKV(prev, into: &buffer) }
        }
        if !value.cancelReason.isEmpty {
            buffer.writeASCII(" REASON ")
            buffer.writeToken(value.cancelReason)
        }
    }

    // MARK: - Pieces

    /// `[@tag ]OK rev=… term=… cluster=… member=…`
    static func begin(_ tag: RequestTag?, _ header: ResponseHeader, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        buffer.writeASCII("OK")
        writeHeader(header, into: &buffer)
    }

    static func writeHeader(_ header: ResponseHeader, into buffer: inout ByteBuffer) {
        buffer.writeField("rev", header.revision)
        buffer.writeField("term", unsigned: header.raftTerm)
        buffer.writeHexField("cluster", header.clusterID)
        buffer.writeHexField("member", header.memberID)
    }

    /// ` KV <key> <value> <create_rev> <mod_rev> <version> <lease-hex>`
    static func writeKV(_ kv: KeyValue, into buffer: inout ByteBuffer) {
        buffer.writeASCII(" KV ")
        buffer.writeToken(kv.key)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeToken(kv.value)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeDecimal(kv.createRevision)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeDecimal(kv.modRevision)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeDecimal(kv.version)
        buffer.writeByte(UInt8(ascii: " "))
        buffer.writeHex(UInt64(bitPattern: kv.lease))
    }

    static func writeBody(_ value: RangeResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("count", value.count)
        buffer.writeField("more", value.more)
        buffer.writeField("kvs", Int64(value.kvs.count))
        for kv in value.kvs { writeKV(kv, into: &buffer) }
    }

    static func writeBody(_ value: PutResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("prev", Int64(value.prevKV == nil ? 0 : 1))
        if let prev = value.prevKV { writeKV(prev, into: &buffer) }
    }

    static func writeBody(_ value: DeleteRangeResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("deleted", value.deleted)
        buffer.writeField("prev", Int64(value.prevKVs.count))
        for kv in value.prevKVs { writeKV(kv, into: &buffer) }
    }

    static func writeBody(_ value: TxnResponse, into buffer: inout ByteBuffer) {
        buffer.writeField("succeeded", value.succeeded)
        buffer.writeField("responses", Int64(value.responses.count))
        for response in value.responses {
            switch response {
            case .range(let inner):
                buffer.writeASCII(" RANGE")
                writeHeader(inner.header, into: &buffer)
                writeBody(inner, into: &buffer)
            case .put(let inner):
                buffer.writeASCII(" PUT")
                writeHeader(inner.header, into: &buffer)
                writeBody(inner, into: &buffer)
            case .deleteRange(let inner):
                buffer.writeASCII(" DEL")
                writeHeader(inner.header, into: &buffer)
                writeBody(inner, into: &buffer)
            case .txn(let inner):
                buffer.writeASCII(" TXN")
                writeHeader(inner.header, into: &buffer)
                writeBody(inner, into: &buffer)
            }
        }
    }
}
