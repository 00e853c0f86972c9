/// Every error of the auth model; each `description` is etcd's exact text.
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible {
    case userNameEmpty
    case userAlreadyExists(String)
    case userNotFound(String)
    case roleAlreadyExists(String)
    case roleNotFound(String)
    case authenticationFailed
    case permissionDenied
    case rootUserNotExist
    case rootRoleNotExist
    case roleNotGranted
    case permissionNotGranted
    case invalidAuthToken
    case authNotEnabled
    /// Changing root's role or deleting the root user while auth is enabled.
    case invalidAuthManagement
    /// A login refused before its password was checked, because too many logins failed lately for its
    /// user name or its peer's address (a server's login guard; `AuthStore` never throws it). etcd's
    /// text for a request refused for load.
    case tooManyRequests

    public var description: String {
        switch self {
        case .userNameEmpty: "etcdserver: user name is empty"
        case .userAlreadyExists: "etcdserver: user name already exists"
        case .userNotFound: "etcdserver: user name not found"
        case .roleAlreadyExists: "etcdserver: role name already exists"
        case .roleNotFound: "etcdserver: role name not found"
        case .authenticationFailed: "etcdserver: authentication failed, invalid user ID or password"
        case .permissionDenied: "etcdserver: permission denied"
        case .rootUserNotExist: "etcdserver: root user does not exist"
        case .rootRoleNotExist: "etcdserver: root user does not have root role"
        case .roleNotGranted: "etcdserver: role is not granted to the user"
        case .permissionNotGranted: "etcdserver: permission is not granted to the role"
        case .invalidAuthToken: "etcdserver: invalid auth token"
        case .authNotEnabled: "etcdserver: authentication is not enabled"
        case .invalidAuthManagement: "etcdserver: invalid auth management"
        case .tooManyRequests: "etcdserver: too many requests"
        }
    }
}
