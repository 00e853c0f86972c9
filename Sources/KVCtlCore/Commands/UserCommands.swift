import KVProtocol

/// `user add|delete|get|list|passwd|grant-role|revoke-role`, as etcdctl 3.4's `user_command.go`: the
/// same argument checks and texts (exit 128), password prompts, and outputs.
enum UserCommands {
    static func make() -> Command {
        Command("user", short: "User related commands", use: "<subcommand>").add(
            Command("add", short: "Adds a new user", use: "<user name or user:password> [options]", flags: [
                .bool("interactive", "Read password from stdin instead of interactive terminal", default: true),
                .string("new-user-password", "Supply password from the command line flag"),
                .bool("no-password", "Create a user without password (CN based auth only)"),
            ], action: add),
            Command("delete", short: "Deletes a user", use: "<user name>", action: delete),
            Command("get", short: "Gets detailed information of a user", use: "<user name> [options]", flags: [
                .bool("detail", "Show permissions of roles granted to the user"),
            ], action: get),
            Command("list", short: "Lists all users", action: list),
            Command("passwd", short: "Changes password of user", use: "<user name> [options]", flags: [
                .bool("interactive", "If true, read password from stdin instead of interactive terminal", default: true),
            ], action: passwd),
            Command("grant-role", short: "Grants a role to a user", use: "<user name> <role name>", action: grantRole),
            Command("revoke-role", short: "Revokes a role from a user", use: "<user name> <role name>", action: revokeRole))
    }

    /// The new user and password: `name:password` (split at the first colon), `--new-user-password`
    /// (then the argument is the whole name), a prompt, or one word of stdin with `--interactive=false`.
    /// `--no-password` wins over all of them and takes the argument as the name.
    static func newUser(_ inv: Invocation) throws(CtlError) -> (name: String, password: String?) {
        let argument = try inv.onlyArgument("user add command requires user name as its argument")
        if inv.flags.bool("no-password") { return (argument, nil) }
        let fromFlag = inv.flags.string("new-user-password")
        if !fromFlag.isEmpty { return (argument, fromFlag) }
        guard let colon = argument.firstIndex(of: ":") else {
            return (argument, try password(inv, for: argument))
        }
        let name = String(argument[..<colon])
        if name.isEmpty { throw .badArgs("empty user name is not allowed") }
        return (name, String(argument[argument.index(after: colon)...]))
    }

    /// A password typed twice (`Password of NAME: `, then the confirmation), or with
    /// `--interactive=false` the first word of stdin.
    static func password(_ inv: Invocation, for name: String) throws(CtlError) -> String {
        guard inv.flags.bool("interactive") else { return inv.console.scanWord() }
        let first = inv.console.askPassword("Password of \(name): ")
        if first.isEmpty { throw .badArgs("empty password") }
        let second = inv.console.askPassword("Type password of \(name) again for confirmation: ")
        if first != second { throw .badArgs("given passwords are different") }
        return first
    }

    static func add(_ inv: Invocation) throws(CtlError) {
        let (name, password) = try newUser(inv)
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userAdd(name: name, password: password)) }
        try display.authHeaderOnly(Array("User \(name) created".utf8), response)
    }

    static func delete(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("user delete command requires user name as its argument")
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userDelete(name)) }
        try display.authHeaderOnly(Array("User \(name) deleted".utf8), response)
    }

    /// With `--detail`, `User: NAME` and then each role as `role get` prints it, after an empty line.
    static func get(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("user get command requires user name as its argument")
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userGet(name)) }
        guard inv.flags.bool("detail") else {
            try display.userGet(name, response)
            return
        }
        inv.console.line("User: \(name)")
        for role in response.roles {
            inv.console.line("")
            let permissions = try inv.call { b throws(BackendError) in try b.auth(.roleGet(role)) }
            try display.roleGet(role, permissions)
        }
    }

    static func list(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("user list command requires no arguments") }
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userList) }
        try display.userList(response)
    }

    static func passwd(_ inv: Invocation) throws(CtlError) {
        let name = try inv.onlyArgument("user passwd command requires user name as its argument")
        let password = try password(inv, for: name)
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in
            try b.auth(.userChangePassword(name: name, password: password))
        }
        try display.authHeaderOnly(Array("Password updated".utf8), response)
    }

    static func grantRole(_ inv: Invocation) throws(CtlError) {
        guard inv.args.count == 2 else {
            throw .badArgs("user grant command requires user name and role name as its argument")
        }
        let (user, role) = (inv.args[0], inv.args[1])
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userGrantRole(user: user, role: role)) }
        try display.authHeaderOnly(Array("Role \(role) is granted to user \(user)".utf8), response)
    }

    static func revokeRole(_ inv: Invocation) throws(CtlError) {
        guard inv.args.count == 2 else {
            throw .badArgs("user revoke-role requires user name and role name as its argument")
        }
        let (user, role) = (inv.args[0], inv.args[1])
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.userRevokeRole(user: user, role: role)) }
        try display.authHeaderOnly(Array("Role \(role) is revoked from user \(user)".utf8), response)
    }
}
