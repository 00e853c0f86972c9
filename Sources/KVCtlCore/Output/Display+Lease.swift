import KVStore

extension Display {
    public func leaseGrant(_ r: LeaseGrantResponse) throws(CtlError) {
        switch format {
        case .simple: console.line("lease \(GoText.leaseHex(r.id)) granted with TTL(\(r.ttl)s)")
        case .json:
            var o = JSONObject()
            Display.flatHeader(&o, r.header)
            o.int("ID", r.id, omitEmpty: false)
            o.int("TTL", r.ttl, omitEmpty: false)
            o.string("Error", "", omitEmpty: false)
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            console.line("\"ID\" : \(r.id)")
            console.line("\"TTL\" : \(r.ttl)")
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func leaseRevoke(_ id: Int64, _ r: LeaseRevokeResponse) throws(CtlError) {
        switch format {
        case .simple: console.line("lease \(GoText.leaseHex(id)) revoked")
        case .json:
            var o = JSONObject()
            o.object("header", Display.header(r.header))
            console.line(o.result)
        case .fields: fieldsHeader(r.header)
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func leaseKeepAlive(_ r: LeaseKeepAliveResponse) throws(CtlError) {
        switch format {
        case .simple: console.line("lease \(GoText.leaseHex(r.id)) keepalived with TTL(\(r.ttl))")
        case .json:
            var o = JSONObject()
            Display.flatHeader(&o, r.header)
            o.int("ID", r.id, omitEmpty: false)
            o.int("TTL", r.ttl, omitEmpty: false)
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            console.line("\"ID\" : \(r.id)")
            console.line("\"TTL\" : \(r.ttl)")
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func leaseTimeToLive(_ r: LeaseTimeToLiveResponse, keys: Bool) throws(CtlError) {
        switch format {
        case .simple:
            if r.grantedTTL == 0 && r.ttl == -1 {
                console.line("lease \(GoText.leaseHex(r.id)) already expired")
                return
            }
            var text = "lease \(GoText.leaseHex(r.id)) granted with TTL(\(r.grantedTTL)s), remaining(\(r.ttl)s)"
            if keys {
                text += ", attached keys([" + r.keys.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") + "])"
            }
            console.line(text)
        case .json:
            var o = JSONObject()
            Display.flatHeader(&o, r.header)
            o.int("id", r.id, omitEmpty: false)
            o.int("ttl", r.ttl, omitEmpty: false)
            o.int("granted-ttl", r.grantedTTL, omitEmpty: false)
            o.array("keys", r.keys.map { "\"" + GoText.base64($0) + "\"" }, omitEmpty: false, nullWhenEmpty: true)
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            console.line("\"ID\" : \(r.id)")
            console.line("\"TTL\" : \(r.ttl)")
            console.line("\"GrantedTTL\" : \(r.grantedTTL)")
            for key in r.keys { console.line("\"Key\" : \(GoText.quote(key))") }
        case .table, .protobuf: throw format.unsupported
        }
    }

    public func leaseList(_ r: LeaseLeasesResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line("found \(r.leases.count) leases")
            for id in r.leases { console.line(GoText.leaseHex(id)) }
        case .json:
            var o = JSONObject()
            Display.flatHeader(&o, r.header)
            o.array("leases", r.leases.map { "{\"id\":\($0)}" }, omitEmpty: false)
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            for id in r.leases { console.line("\"ID\" : \(id)") }
        case .table, .protobuf: throw format.unsupported
        }
    }
}
