import KVStore

/// Every error a reply line can carry: `[@tag] ERR <CODE> "<message>" [name=value …]`.
///
/// Store errors keep their etcd message and carry their payload as fields, so `StoreError` survives the
/// trip from server to client exactly. Protocol-level errors carry their message as is.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store refused the request.
    case store(StoreError)
    /// Authentication or authorization refused the request (etcd's auth errors).
    case auth(AuthError)
    /// The line is not valid protocol (bad quoting, malformed reply, …). Code `PROTOCOL`.
    case protocolViolation(String)
    /// The verb is not a command. Code `UNKNOWN_COMMAND`.
    case unknownCommand(String)
    /// The command is known but its arguments or options are not valid. Code `ARGS`.
    case invalidArguments(String)
    /// `HELLO` asked for a protocol version this side does not speak. Code `UNSUPPORTED_VERSION`.
    case unsupportedVersion(requested: Int64, supported: Int64)
    /// A command that is reserved for a later protocol revision. Code `NOT_IMPLEMENTED`.
    case notImplemented(String)
    /// The server failed for a reason of its own. Code `INTERNAL`.
    case internalError(String)
    /// The server refused a new connection before reading from it: it holds `--max-connections`
    /// already, or it is out of file descriptors. The message says which. Code `TOO_MANY_CONNECTIONS`.
    case tooManyConnections(String)
    /// The server is shutting down and takes no new connection. Code `STOPPED`, with etcd's message.
    case stopped
    /// A code this side does not know (sent by a newer peer).
    case other(code: String, message: String)

    // MARK: Builders for the standard messages

    static func unknownCommand(verb: Token) -> WireError {
        .unknownCommand("unknown command '\(verb.isQuoted ? verb.description : verb.upperText)'")
    }

    static func arity(_ command: String, expected: String, got: Int) -> WireError {
        .invalidArguments("wrong number of arguments for '\(command)': expected \(expected), got \(got)")
    }

    static func args(_ command: String, _ detail: String) -> WireError {
        .invalidArguments("\(command): \(detail)")
    }

    // MARK: Code and message

    /// The stable upper-case code sent after `ERR`.
    public var code: String {
        switch self {
        case .store(let error):
            switch error {
            case .emptyKey: "EMPTY_KEY"
            case .compacted: "COMPACTED"
            case .futureRevision: "FUTURE_REV"
            case .keyNotFound: "KEY_NOT_FOUND"
            case .valueProvided: "VALUE_PROVIDED"
            case .leaseProvided: "LEASE_PROVIDED"
            case .duplicateKey: "DUPLICATE_KEY"
            case .tooManyOperations: "TOO_MANY_OPS"
            case .leaseNotFound: "LEASE_NOT_FOUND"
            case .leaseExists: "LEASE_EXISTS"
            case .leaseTTLTooLarge: "LEASE_TTL_TOO_LARGE"
            case .spaceExceeded: "NO_SPACE"
            case .requestTooLarge: "TOO_LARGE"
            case .watchIDInUse: "WATCH_ID_IN_USE"
            }
        case .auth(let error):
            switch error {
            case .userNameEmpty: "USER_EMPTY"
            case .userAlreadyExists: "USER_EXISTS"
            case .userNotFound: "USER_NOT_FOUND"
            case .roleAlreadyExists: "ROLE_EXISTS"
            case .roleNotFound: "ROLE_NOT_FOUND"
            case .authenticationFailed: "AUTH_FAILED"
            case .permissionDenied: "PERMISSION_DENIED"
            case .rootUserNotExist: "ROOT_USER_NOT_EXIST"
            case .rootRoleNotExist: "ROOT_ROLE_NOT_EXIST"
            case .roleNotGranted: "ROLE_NOT_GRANTED"
            case .permissionNotGranted: "PERMISSION_NOT_GRANTED"
            case .invalidAuthToken: "INVALID_AUTH_TOKEN"
            case .authNotEnabled: "AUTH_NOT_ENABLED"
            case .invalidAuthManagement: "INVALID_AUTH_MGMT"
            case .tooManyRequests: "TOO_MANY_REQUESTS"
            }
        case .protocolViolation: "PROTOCOL"
        case .unknownCommand: "UNKNOWN_COMMAND"
        case .invalidArguments: "ARGS"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .notImplemented: "NOT_IMPLEMENTED"
        case .internalError: "INTERNAL"
        case .tooManyConnections: "TOO_MANY_CONNECTIONS"
        case .stopped: "STOPPED"
        case .other(let code, _): code
        }
    }

    /// The human-readable message sent, quoted, after the code (for store errors: etcd's text).
    public var message: String {
        switch self {
        case .store(let error): error.description
        case .auth(let error): error.description
        case .protocolViolation(let message), .unknownCommand(let message), .invalidArguments(let message),
             .notImplemented(let message), .internalError(let message), .tooManyConnections(let message),
             .other(_, let message):
            message
        case .stopped: "etcdserver: server stopped"
        case .unsupportedVersion(let requested, let supported):
            "unsupported protocol version \(requested): this server speaks protocol \(supported)"
        }
    }

    public var description: String { message }

    /// The payload fields sent after the message, in order. Ids are hexadecimal, numbers decimal.
    func writeFields(into buffer: inout ByteBuffer) {
        switch self {
        case .store(let error):
            switch error {
            case .compacted(let requested, let compacted):
                buffer.writeField("requested", requested)
                buffer.writeField("compact_rev", compacted)
            case .futureRevision(let requested, let current):
                buffer.writeField("requested", requested)
                buffer.writeField("current_rev", current)
            case .tooManyOperations(let count, let limit):
                buffer.writeField("count", Int64(count))
                buffer.writeField("limit", Int64(limit))
            case .leaseNotFound(let id), .leaseExists(let id):
                buffer.writeHexField("lease", UInt64(bitPattern: id))
            case .watchIDInUse(let id):
                buffer.writeField("watch", id)
            case .leaseTTLTooLarge(let ttl):
                buffer.writeField("ttl", ttl)
            case .requestTooLarge(let size, let limit):
                buffer.writeField("size", Int64(size))
                buffer.writeField("limit", Int64(limit))
            case .emptyKey, .keyNotFound, .valueProvided, .leaseProvided, .duplicateKey, .spaceExceeded:
                break
            }
        case .unsupportedVersion(let requested, let supported):
            buffer.writeField("requested", requested)
            buffer.writeField("supported", supported)
        case .auth(let error):
            switch error {
            case .userAlreadyExists(let name), .userNotFound(let name):
                buffer.writeField("user", text: name)
            case .roleAlreadyExists(let name), .roleNotFound(let name):
                buffer.writeField("role", text: name)
            default:
                break
            }
        case .protocolViolation, .unknownCommand, .invalidArguments, .notImplemented, .internalError,
             .tooManyConnections, .stopped, .other:
            break
        }
    }

    /// Rebuilds the error from a decoded `ERR` line. Missing payload fields read as 0.
    init(code: String, message: String, fields: Fields) throws(WireError) {
        func int(_ name: String) throws(WireError) -> Int64 { try fields.int64(name) ?? 0 }
        func lease() throws(WireError) -> Int64 { Int64(bitPattern: try fields.hex(name: "lease") ?? 0) }
        switch code {
        case "EMPTY_KEY": self = .store(.emptyKey)
        case "COMPACTED": self = .store(.compacted(requested: try int("requested"), compactedRevision: try int("compact_rev")))
        case "FUTURE_REV": self = .store(.futureRevision(requested: try int("requested"), currentRevision: try int("current_rev")))
        case "KEY_NOT_FOUND": self = .store(.keyNotFound)
        case "VALUE_PROVIDED": self = .store(.valueProvided)
        case "LEASE_PROVIDED": self = .store(.leaseProvided)
        case "DUPLICATE_KEY": self = .store(.duplicateKey)
        case "TOO_MANY_OPS": self = .store(.tooManyOperations(count: Int(try int("count")), limit: Int(try int("limit"))))
        case "LEASE_NOT_FOUND": self = .store(.leaseNotFound(id: try lease()))
        case "LEASE_EXISTS": self = .store(.leaseExists(id: try lease()))
        case "LEASE_TTL_TOO_LARGE": self = .store(.leaseTTLTooLarge(ttl: try int("ttl")))
        case "NO_SPACE": self = .store(.spaceExceeded)
        case "WATCH_ID_IN_USE": self = .store(.watchIDInUse(id: try int("watch")))
        case "TOO_LARGE": self = .store(.requestTooLarge(size: Int(try int("size")), limit: Int(try int("limit"))))
        case "USER_EMPTY": self = .auth(.userNameEmpty)
        case "USER_EXISTS": self = .auth(.userAlreadyExists(fields.text("user") ?? ""))
        case "USER_NOT_FOUND": self = .auth(.userNotFound(fields.text("user") ?? ""))
        case "ROLE_EXISTS": self = .auth(.roleAlreadyExists(fields.text("role") ?? ""))
        case "ROLE_NOT_FOUND": self = .auth(.roleNotFound(fields.text("role") ?? ""))
        case "AUTH_FAILED": self = .auth(.authenticationFailed)
        case "PERMISSION_DENIED": self = .auth(.permissionDenied)
        case "ROOT_USER_NOT_EXIST": self = .auth(.rootUserNotExist)
        case "ROOT_ROLE_NOT_EXIST": self = .auth(.rootRoleNotExist)
        case "ROLE_NOT_GRANTED": self = .auth(.roleNotGranted)
        case "PERMISSION_NOT_GRANTED": self = .auth(.permissionNotGranted)
        case "INVALID_AUTH_TOKEN": self = .auth(.invalidAuthToken)
        case "AUTH_NOT_ENABLED": self = .auth(.authNotEnabled)
        case "INVALID_AUTH_MGMT": self = .auth(.invalidAuthManagement)
        case "TOO_MANY_REQUESTS": self = .auth(.tooManyRequests)
        case "PROTOCOL": self = .protocolViolation(message)
        case "UNKNOWN_COMMAND": self = .unknownCommand(message)
        case "ARGS": self = .invalidArguments(message)
        case "UNSUPPORTED_VERSION": self = .unsupportedVersion(requested: try int("requested"), supported: try int("supported"))
        case "NOT_IMPLEMENTED": self = .notImplemented(message)
        case "INTERNAL": self = .internalError(message)
        case "TOO_MANY_CONNECTIONS": self = .tooManyConnections(message)
        case "STOPPED": self = .stopped
        default: self = .other(code: code, message: message)
        }
    }

    /// Every code this protocol version defines, for documentation and tests.
    public static let allCodes: [String] = [
        "PROTOCOL", "UNKNOWN_COMMAND", "ARGS", "UNSUPPORTED_VERSION", "NOT_IMPLEMENTED", "INTERNAL",
        "TOO_MANY_CONNECTIONS", "STOPPED",
        "EMPTY_KEY", "COMPACTED", "FUTURE_REV", "KEY_NOT_FOUND", "VALUE_PROVIDED", "LEASE_PROVIDED",
        "DUPLICATE_KEY", "TOO_MANY_OPS", "LEASE_NOT_FOUND", "LEASE_EXISTS", "LEASE_TTL_TOO_LARGE", "WATCH_ID_IN_USE",
        "NO_SPACE", "TOO_LARGE",
        "USER_EMPTY", "USER_EXISTS", "USER_NOT_FOUND", "ROLE_EXISTS", "ROLE_NOT_FOUND", "AUTH_FAILED",
        "PERMISSION_DENIED", "ROOT_USER_NOT_EXIST", "ROOT_ROLE_NOT_EXIST", "ROLE_NOT_GRANTED",
        "PERMISSION_NOT_GRANTED", "INVALID_AUTH_TOKEN", "AUTH_NOT_ENABLED", "INVALID_AUTH_MGMT", "TOO_MANY_REQUESTS",
    ]
}
