/// Who a connection logs in as: the global `--user` and `--password` flags (or `ETCDCTL_USER`,
/// `ETCDCTL_PASSWORD`), read as etcdctl 3.4 reads them.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }

    /// Never shows the password.
    public var description: String { "Credentials(name: \(name))" }

    /// etcdctl's `authCfgFromCmd`, then its client's rule for logging in:
    /// - no `--user`: nobody;
    /// - `--user name:password` (split at the first `:`) when `--password` is empty;
    /// - `--user name` alone: asks `Password: ` (no echo on a terminal; a line of stdin otherwise);
    /// - with `--password`, `--user` is the whole name, colons included — etcdctl 3.4 does not refuse
    ///   `--user a:b --password c`, it logs in as `a:b` (and so fails);
    /// - an empty name or password means no login at all (etcd's client only authenticates when both
    ///   are set), so requests then go out without a user.
    static func resolve(user: String, password: String, console: Console) -> Credentials? {
        guard !user.isEmpty else { return nil }
        let name: String
        var secret = password
        if secret.isEmpty {
            if let colon = user.firstIndex(of: ":") {
                name = String(user[..<colon])
                secret = String(user[user.index(after: colon)...])
            } else {
                name = user
                secret = console.askPassword("Password: ")
            }
        } else {
            name = user
        }
        guard !name.isEmpty, !secret.isEmpty else { return nil }
        return Credentials(name: name, password: secret)
    }
}
