/// What a fuzz run may do to the server's auth state.
public enum FuzzMode: Hashable, Sendable {
    /// Auth stays off: no request can create the `root` user, so `AUTH-ENABLE` always fails
    /// (`ROOT_USER_NOT_EXIST`) and every later request keeps working.
    case standard
    /// The transport creates `root` with this password and enables auth before the run, logs most fuzz
    /// connections and the healthy client in as root, and disables auth again at the end. Fuzzed requests
    /// never change `root` itself; some log in as it (right or wrong password), some run without a login.
    case auth(rootPassword: String)
}
