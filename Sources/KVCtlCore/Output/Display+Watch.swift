import KVStore

extension Display {
    static func eventType(_ type: Event.EventType) -> String { type == .put ? "PUT" : "DELETE" }

    public func watch(_ r: WatchResponse) throws(CtlError) {
        switch format {
        case .simple:
            for event in r.events {
                console.line(Display.eventType(event.type))
                if let prev = event.prevKV { simpleKV(prev) }
                simpleKV(event.kv)
            }
        case .json:
            var o = JSONObject()
            // A watch canceled for compaction gets etcd's bare header: no revision.
            var header = r.header
            if r.canceled && r.compactRevision > 0 { header.revision = 0 }
            o.object("Header", Display.header(header))
            o.array("Events", r.events.map { event in
                var e = JSONObject()
                e.int("type", Int64(event.type.rawValue))
                e.raw("kv", Display.kv(event.kv))
                if let prev = event.prevKV { e.raw("prev_kv", Display.kv(prev)) }
                return e.result
            }, omitEmpty: false)
            o.int("CompactRevision", r.compactRevision, omitEmpty: false)
            o.bool("Canceled", r.canceled, omitEmpty: false)
            o.bool("Created", r.created, omitEmpty: false)
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            for event in r.events {
                console.line("\"Type\" : \(Display.eventType(event.type))")
                if let prev = event.prevKV { fieldsKV("Prev", prev) }
                fieldsKV("", event.kv)
            }
        case .table, .protobuf: throw format.unsupported
        }
    }
}
