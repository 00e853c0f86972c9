import KVStore

/// What each request needs while auth is enabled (the rules are the store's, see `Store+Auth`): the
/// connection's token must name a user allowed to make it. Each command's definition says what it
/// needs (`CommandDefinition.authorize`); connection-level commands (`HELLO`, `PING`, `AUTHENTICATE`,
/// `UNWATCH`, `PROGRESS`, `SNAPSHOT-NEXT` of a snapshot already allowed) and the member-level reads etcd
/// leaves open (`STATUS`, `MEMBERS`, `HEALTH`) need nothing. Shared by the server and by anything else
/// that serves requests from a `Store` (the CLI's in-process test backend).
extension Request {
    public func authorize(on store: Store, token: String?) throws(AuthError) {
        guard store.auth.isEnabled else { return }
        try visitDefinition(RequestAuthorizer(store: store, token: token))
    }
}

/// Checks a request with its definition's rule.
private struct RequestAuthorizer: CommandVisitor {
    typealias Result = Void
    typealias Failure = AuthError
    let store: Store
    let token: String?

    func visit<Command: CommandDefinition>(_ command: Command.Type, _ value: Command.Value) throws(AuthError) {
        try command.authorize(value, on: store, token: token)
    }
}
