import KVProtocol
import KVStore

/// `auth enable|disable` as etcdctl 3.4, and `auth status` as etcdctl 3.5 (3.4 has none; it is left out
/// of the help listings so that they stay 3.4's). Enable and disable print a fixed line whatever `-w`
/// says, but an unknown format name still fails first, as etcdctl checks it while creating its client.
enum AuthCommands {
    static func make() -> [Command] {
        [
            Command("auth", short: "Enable or disable authentication", use: "<enable or disable>").add(
                Command("disable", short: "Disables authentication", action: disable),
                Command("enable", short: "Enables authentication", action: enable),
                Command("status", short: "Returns authentication status", hidden: true, action: status)),
            UserCommands.make(),
            RoleCommands.make(),
        ]
    }

    /// etcdctl adds the root role and grants it to root when the server asks for it, then retries;
    /// kvserver's enable does that itself, so one request suffices.
    static func enable(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("auth enable command does not accept any arguments") }
        _ = try OutputFormat.parse(inv.flags.string("write-out"))
        _ = try inv.call(enableGrantingRootRole)
        inv.console.line("Authentication Enabled")
    }

    /// As etcdctl: a server that refuses because the root user lacks the root role (etcd does; kvserver
    /// grants it itself) gets the role created and granted, and is asked again.
    private static func enableGrantingRootRole(_ backend: Backend) throws(BackendError) -> AuthResponse {
        do {
            return try backend.auth(.enable)
        } catch {
            guard error == .server(AuthError.rootRoleNotExist.description) else { throw error }
        }
        _ = try backend.auth(.roleAdd("root"))
        _ = try backend.auth(.userGrantRole(user: "root", role: "root"))
        return try backend.auth(.enable)
    }

    static func disable(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("auth disable command does not accept any arguments") }
        _ = try OutputFormat.parse(inv.flags.string("write-out"))
        _ = try inv.call { b throws(BackendError) in try b.auth(.disable) }
        inv.console.line("Authentication Disabled")
    }

    static func status(_ inv: Invocation) throws(CtlError) {
        guard inv.args.isEmpty else { throw .badArgs("auth status command does not accept any arguments") }
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.auth(.status) }
        try display.authStatus(response)
    }
}
