import KVProtocol
import KVStore

/// The `user`, `role` and `auth status` outputs, as etcdctl 3.4's printers write them (`auth status` as
/// etcdctl 3.5's). Which formats each supports follows etcdctl's printer types: table prints none of them;
/// fields prints every header-only answer, `role get` and `role list`, but not `user get`/`user list`
/// (etcdctl's fields printer never implemented those) nor `auth status`.
extension Display {
    /// Answers that carry nothing but the header: `user add|delete|passwd|grant-role|revoke-role`,
    /// `role add|delete|grant-permission|revoke-permission`. Simple prints `simple` (one line, raw bytes).
    public func authHeaderOnly(_ simple: [UInt8], _ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.out(bytes: simple)
            console.out("\n")
        case .json: console.line(Display.authJSON(r.header) { _ in })
        case .fields: fieldsHeader(r.header)
        case .table, .protobuf: throw format.unsupported
        }
    }

    /// `User: NAME` and `Roles:` followed by ` ROLE` for each role (so no trailing blank without roles).
    public func userGet(_ name: String, _ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line("User: \(name)")
            console.line("Roles:" + r.roles.map { " " + $0 }.joined())
        case .json: console.line(Display.authJSON(r.header) { $0.strings("roles", r.roles) })
        case .fields, .table, .protobuf: throw format.unsupported
        }
    }

    public func userList(_ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple: for user in r.users { console.line(user) }
        case .json: console.line(Display.authJSON(r.header) { $0.strings("users", r.users) })
        case .fields, .table, .protobuf: throw format.unsupported
        }
    }

    public func roleList(_ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple: for role in r.roles { console.line(role) }
        case .json: console.line(Display.authJSON(r.header) { $0.strings("roles", r.roles) })
        case .fields:
            fieldsHeader(r.header)
            console.line("\"Roles\" :" + r.roles.map { " " + GoText.quote($0) }.joined())
        case .table, .protobuf: throw format.unsupported
        }
    }

    /// The permissions of a role: simple lists them under `KV Read:` and `KV Write:` (a readwrite one
    /// under both), in the server's order (sorted by key).
    public func roleGet(_ name: String, _ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line("Role \(name)")
            console.line("KV Read:")
            for permission in r.permissions where permission.kind != .write { simplePermission(permission) }
            console.line("KV Write:")
            for permission in r.permissions where permission.kind != .read { simplePermission(permission) }
        case .json:
            console.line(Display.authJSON(r.header) { o in
                o.array("perm", r.permissions.map { p in
                    var item = JSONObject()
                    item.int("permType", Int64(p.kind.rawValue))
                    item.bytes("key", p.key)
                    item.bytes("range_end", p.rangeEnd)
                    return item.result
                })
            })
        case .fields:
            fieldsHeader(r.header)
            for p in r.permissions {
                // Go's Println puts a blank between `"PermType" : ` and the name: two spaces in all.
                console.line("\"PermType\" :  \(Display.permissionTypeName(p.kind))")
                console.line("\"Key\" : \(GoText.quote(p.key))")
                console.line("\"RangeEnd\" : \(GoText.quote(p.rangeEnd))")
            }
        case .table, .protobuf: throw format.unsupported
        }
    }

    /// `auth status` as etcdctl 3.5 prints it (Go's `Println` of a bool and a uint64).
    public func authStatus(_ r: AuthResponse) throws(CtlError) {
        switch format {
        case .simple:
            console.line("Authentication Status: \(r.enabled)")
            console.line("AuthRevision: \(r.authRevision)")
        case .json:
            console.line(Display.authJSON(r.header) { o in
                o.bool("enabled", r.enabled)
                o.uint("authRevision", r.authRevision)
            })
        case .fields, .table, .protobuf: throw format.unsupported
        }
    }

    // MARK: Pieces

    static func permissionTypeName(_ kind: Permission.Kind) -> String {
        switch kind {
        case .read: "READ"
        case .write: "WRITE"
        case .readwrite: "READWRITE"
        }
    }

    /// `{"header":{…}, …}`: every auth response nests its header.
    static func authJSON(_ header: ResponseHeader, _ fill: (inout JSONObject) -> Void) -> String {
        var o = JSONObject()
        o.object("header", Display.header(header))
        fill(&o)
        return o.result
    }

    /// One permission line of `role get`: a single key bare, a range as `[key, end)`, an open end as
    /// `[key, <open ended>`, with ` (prefix key)` when the end is the key's prefix end.
    private func simplePermission(_ p: Permission) {
        var line: [UInt8] = Array("\t".utf8)
        if p.rangeEnd.isEmpty {
            line += p.key
        } else {
            line += Array("[".utf8) + p.key + Array(", ".utf8)
            line += p.rangeEnd == [0] ? Array("<open ended>".utf8) : p.rangeEnd + Array(")".utf8)
            if Display.prefixRangeEnd(p.key) == p.rangeEnd { line += Array(" (prefix ".utf8) + p.key + Array(")".utf8) }
        }
        line.append(0x0a)
        console.out(bytes: line)
    }

    /// etcd's `GetPrefixRangeEnd`: the key with its last byte below 0xff incremented and the rest
    /// dropped; `"\0"` when every byte is 0xff (or the key is empty).
    static func prefixRangeEnd(_ key: [UInt8]) -> [UInt8] {
        var end = key
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}
