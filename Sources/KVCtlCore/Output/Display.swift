import KVProtocol
import KVStore

/// Prints responses in etcdctl's formats. Each method writes to the console or throws the
/// "not supported as output format" error (after the request ran, as etcdctl does).
public struct Display {
    public var format: OutputFormat
    public var hex: Bool
    public var valueOnly: Bool
    let console: Console

    public init(format: OutputFormat, hex: Bool = false, valueOnly: Bool = false, console: Console) {
        self.format = format
        self.hex = hex
        self.valueOnly = valueOnly
        self.console = console
    }

    // MARK: Shared pieces

    static func header(_ h: ResponseHeader) -> JSONObject {
        var o = JSONObject()
        flatHeader(&o, h)
        return o
    }

    static func flatHeader(_ o: inout JSONObject, _ h: ResponseHeader) {
        o.uint("cluster_id", h.clusterID)
        o.uint("member_id", h.memberID)
        o.int("revision", h.revision)
        o.uint("raft_term", h.raftTerm)
    }

    static func kv(_ kv: KeyValue) -> String {
        var o = JSONObject()
        o.bytes("key", kv.key)
        o.int("create_revision", kv.createRevision)
        o.int("mod_revision", kv.modRevision)
        o.int("version", kv.version)
        o.bytes("value", kv.value)
        o.int("lease", kv.lease)
        return o.result
    }

    func fieldsHeader(_ h: ResponseHeader) {
        console.line("\"ClusterID\" : \(h.clusterID)")
        console.line("\"MemberID\" : \(h.memberID)")
        console.line("\"Revision\" : \(h.revision)")
        console.line("\"RaftTerm\" : \(h.raftTerm)")
    }

    func fieldsKV(_ prefix: String, _ kv: KeyValue) {
        console.line("\"\(prefix)Key\" : \(GoText.quote(kv.key))")
        console.line("\"\(prefix)CreateRevision\" : \(kv.createRevision)")
        console.line("\"\(prefix)ModRevision\" : \(kv.modRevision)")
        console.line("\"\(prefix)Version\" : \(kv.version)")
        console.line("\"\(prefix)Value\" : \(GoText.quote(kv.value))")
        console.line("\"\(prefix)Lease\" : \(kv.lease)")
    }

    func simpleBytes(_ bytes: [UInt8]) {
        console.out(bytes: hex ? GoText.hexEscaped(bytes) : bytes)
        console.out("\n")
    }

    func simpleKV(_ kv: KeyValue) {
        if !valueOnly { simpleBytes(kv.key) }
        simpleBytes(kv.value)
    }

    // MARK: get / put / del / txn

    static func rangeJSON(_ r: RangeResponse) -> String {
        var o = JSONObject()
        o.object("header", header(r.header))
        o.array("kvs", r.kvs.map(kv))
        o.bool("more", r.more)
        o.int("count", r.count)
        return o.result
    }

    static func putJSON(_ r: PutResponse) -> String {
        var o = JSONObject()
        o.object("header", header(r.header))
        if let prev = r.prevKV { o.raw("prev_kv", kv(prev)) }
        return o.result
    }

    static func deleteJSON(_ r: DeleteRangeResponse) -> String {
        var o = JSONObject()
        o.object("header", header(r.header))
        o.int("deleted", r.deleted)
        o.array("prev_kvs", r.prevKVs.map(kv))
        return o.result
    }

    static func txnJSON(_ r: TxnResponse) -> String {
        var o = JSONObject()
        o.object("header", header(r.header))
        o.bool("succeeded", r.succeeded)
        o.array("responses", r.responses.map { op in
            let (name, body): (String, String)
            switch op {
            case .range(let x): (name, body) = ("ResponseRange", rangeJSON(x))
            case .put(let x): (name, body) = ("ResponsePut", putJSON(x))
            case .deleteRange(let x): (name, body) = ("ResponseDeleteRange", deleteJSON(x))
            case .txn(let x): (name, body) = ("ResponseTxn", txnJSON(x))
            }
            return "{\"Response\":{\"\(name)\":\(body)}}"
        })
        return o.result
    }

    public func get(_ r: RangeResponse) throws(CtlError) {
        switch format {
        case .simple: for kv in r.kvs { simpleKV(kv) }
        case .json: console.line(Display.rangeJSON(r))
        case .fields:
            fieldsHeader(r.header)
            for kv in r.kvs { fieldsKV("", kv) }
            console.line("\"More\" : \(r.more)")
            console.line("\"Count\" : \(r.count)")
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func put(_ r: PutResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line("OK")
            if let prev = r.prevKV { simpleKV(prev) }
        case .json: console.line(Display.putJSON(r))
        case .fields:
            fieldsHeader(r.header)
            if let prev = r.prevKV { fieldsKV("Prev", prev) }
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func del(_ r: DeleteRangeResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line(String(r.deleted))
            for kv in r.prevKVs { simpleKV(kv) }
        case .json: console.line(Display.deleteJSON(r))
        case .fields:
            fieldsHeader(r.header)
            console.line("\"Deleted\" : \(r.deleted)")
            for kv in r.prevKVs { fieldsKV("Prev", kv) }
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func txn(_ r: TxnResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line(r.succeeded ? "SUCCESS" : "FAILURE")
            for op in r.responses {
                console.line("")
                try self.op(op)
            }
        case .json: console.line(Display.txnJSON(r))
        case .fields:
            fieldsHeader(r.header)
            console.line("\"Succeeded\" : \(r.succeeded)")
            for op in r.responses { try self.op(op) }
        case .table, .protobuf: throw format.unsupported
        }
    }

    private func op(_ op: ResponseOp) throws(CtlError) {
        switch op {
        case .range(let x): try get(x)
        case .put(let x): try put(x)
        case .deleteRange(let x): try del(x)
        case .txn(let x): try txn(x)
        }
    }
}
