import KVProtocol
import KVStore

/// `role add|delete|get|list|grant-permission|revoke-permission`, as etcdctl 3.4's `role_command.go`.
enum RoleCommands {
    static func make() -> Command {
        Command("role", short: "Role related commands", use: "<subcommand>").add(
            Command("add", short: "Adds a new role", use: "<role name>", action: add),
            Command("delete", short: "Deletes a role", use: "<role name>", action: delete),
            Command("get", short: "Gets detailed information of a role", use: "<role name>", action: get),
            Command("list", short: "Lists all roles", action: list),
            Command("grant-permission", short: "Grants a key to a role",
                    use: "[options] <role name> <permission type> <key> [endkey]", flags: [
                .bool("from-key", "grant a permission of keys that are greater than or equal to the given key using byte compare"),
                .bool("prefix", "grant a prefix permission"),
            ], action: grantPermission),
            Command("revoke-permission", short: "Revokes a key from a role", use: "<role name> <key> [endkey]", flags: [
                .bool("from-key", "revoke a permission of keys that are greater than or equal to the given key using byte compare"),
                .bool("prefix", "revoke a prefix permission"),
            ], action: revokePermission))
    }

    /// etcdctl's `permRange`: the key and range end a permission argument list means.
    ///
    /// - An empty key is `"\0"` (etcd's intervals cannot start at the empty key); with `--prefix` or
    ///   `--from-key` its end is `"\0"` too, i.e. every key. Any `[endkey]` after an empty key is ignored.
    /// - Otherwise `--prefix` ends at the prefix end, `--from-key` at `"\0"` (open ended), and an
    ///   `[endkey]` is taken as given; combining it with either flag is an error, as are both flags.
    static func permissionRange(_ args: ArraySlice<String>, prefix: Bool, fromKey: Bool) throws(CtlError)
        -> (key: [UInt8], rangeEnd: [UInt8]) {
        let key = Array(args[args.startIndex].utf8)
        let exclusive = CtlError.badArgs("--from-key and --prefix flags are mutually exclusive")
        if key.isEmpty {
            if prefix && fromKey { throw exclusive }
            return ([0], prefix || fromKey ? [0] : [])
        }
        if args.count == 1 {
            if prefix && fromKey { throw exclusive }
            if prefix { return (key, Display.prefixRangeEnd(key)) }
            return (key, fromKey ? [0] : [])
        }
        if prefix { throw .badArgs("unexpected endkey argument with --prefix flag") }
        if fromKey { throw .badArgs("unexpected endkey argument with --from-key flag") }
        return (key, Array(args[args.startIndex + 1].utf8))
    }

    /// clientv3's `StrToPermissionType`: `read`, `write` or `readwrite`, in any case.
    static func permissionType(_ text: String) throws(CtlError) -> Permission.Kind {
        switch text.uppercased() {
        case "READ": .read
        case "WRITE": .write
        case "READWRITE": .readwrite
        default: throw .badArgs("invalid permission type: \(text)")
        }
    }

    static func add(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("role add command requires role name as its argument")
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.roleAdd(name)) }
        try display.authHeaderOnly(Array("Role \(name) created".utf8), response)
    }

    static func delete(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("role delete command requires role name as its argument")
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.roleDelete(name)) }
        try display.authHeaderOnly(Array("Role \(name) deleted".utf8), response)
    }

    static func get(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("role get command requires role name as its argument")
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.roleGet(name)) }
        try display.roleGet(name, response)
    }

    static func list(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("role list command requires no arguments") }
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.roleList) }
        try display.roleList(response)
    }

    static func grantPermission(_ inv: Invocation) throws(CtlError) {
        guard inv.args.count >= 3 else {
            throw .badArgs("role grant command requires role name, permission type, and key [endkey] as its argument")
        }
        let role = inv.args[0]
        let kind = try permissionType(inv.args[1])
        let (key, rangeEnd) = try permissionRange(inv.args[2...], prefix: inv.flags.bool("prefix"),
                                                  fromKey: inv.flags.bool("from-key"))
        let display = try inv.display()
        let permission = Permission(kind: kind, key: key, rangeEnd: rangeEnd)
        let response = try inv.call { b throws(BackendError) in
            try b.auth(.roleGrantPermission(role: role, permission: permission))
        }
        try display.authHeaderOnly(Array("Role \(role) updated".utf8), response)
    }

    /// The message names the key as typed (an empty key stays empty, though `"\0"` was sent).
    static func revokePermission(_ inv: Invocation) throws(CtlError) {
        guard inv.args.count >= 2 else {
            throw .badArgs("role revoke-permission command requires role name and key [endkey] as its argument")
        }
        let role = inv.args[0]
        let (key, rangeEnd) = try permissionRange(inv.args[1...], prefix: inv.flags.bool("prefix"),
                                                  fromKey: inv.flags.bool("from-key"))
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in
            try b.auth(.roleRevokePermission(role: role, key: key, rangeEnd: rangeEnd))
        }
        let typed = Array(inv.args[1].utf8)
        var message = Array("Permission of ".utf8)
        if rangeEnd.isEmpty {
            message += Array("key ".utf8) + typed
        } else {
            message += Array("range [".utf8) + typed + Array(", ".utf8)
            message += rangeEnd == [0] ? Array("<open ended>".utf8) : rangeEnd + Array(")".utf8)
        }
        message += Array(" is revoked from role \(role)".utf8)
        try display.authHeaderOnly(message, response)
    }
}
