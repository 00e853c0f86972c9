import KVProtocol
import KVStore

/// A gRPC status: the `grpc-status` code and `grpc-message` text a call ends with.
public struct GRPCStatus: Hashable, Sendable, CustomStringConvertible {
    /// gRPC's status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let ok = Code(rawValue: 0)
        public static let canceled = Code(rawValue: 1)
        public static let unknown = Code(rawValue: 2)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let outOfRange = Code(rawValue: 11)
        public static let unimplemented = Code(rawValue: 12)
        public static let `internal` = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let dataLoss = Code(rawValue: 15)
        public static let unauthenticated = Code(rawValue: 16)

        private static let names = ["OK", "CANCELED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                                    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                                    "UNAUTHENTICATED"]

        private static let goNames = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                                      "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
                                      "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
                                      "Unauthenticated"]

        /// The code's name as gRPC spells it, e.g. `INVALID_ARGUMENT`.
        public var description: String {
            Self.names.indices.contains(rawValue) ? Self.names[rawValue] : "CODE(\(rawValue))"
        }

        /// The code's name as grpc-go prints it (`codes.Code.String()`), e.g. `InvalidArgument`.
        public var goName: String {
            Self.goNames.indices.contains(rawValue) ? Self.goNames[rawValue] : "Code(\(rawValue))"
        }
    }

    public var code: Code
    /// The text etcd's clients read back into their typed errors (for etcd's errors: etcd's exact text).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The status as grpc-go's error prints it: `rpc error: code = PermissionDenied desc = …`. etcd sends
    /// this text where it reports a gRPC error inside a message (a watch's `cancel_reason`).
    public var goErrorText: String { "rpc error: code = \(code.goName) desc = \(message)" }
}

extension EtcdWire {
    /// etcd's `WatchResponse.cancel_reason` (and the status text) for a watch id already in use on the
    /// stream: mvcc's `ErrWatcherDuplicateID`, which etcd reports without a gRPC code of its own.
    public static let duplicateWatchIDText = "mvcc: duplicate watch ID provided on the WatchStream"

    /// The gRPC status etcd ends a call with for `error`: etcd's code and exact text from
    /// `rpctypes/error.go` (and `v3rpc/util.go`'s mapping) for every store and auth error, so etcd's
    /// clients turn it back into the same typed error.
    ///
    /// Errors etcd has no gRPC error for: a duplicate watch id is `UNKNOWN` with mvcc's text (etcd
    /// sends any unmapped error as `UNKNOWN` with its text); the line protocol's own errors get the
    /// nearest code with their message (`ARGS`/`PROTOCOL` → `INVALID_ARGUMENT`, `UNKNOWN_COMMAND`/
    /// `NOT_IMPLEMENTED` → `UNIMPLEMENTED`, `INTERNAL` → `INTERNAL`, `STOPPED` → `UNAVAILABLE`
    /// "etcdserver: server stopped" as etcd, `TOO_MANY_CONNECTIONS` → `UNAVAILABLE`,
    /// `UNSUPPORTED_VERSION` → `FAILED_PRECONDITION`, an unknown code → `UNKNOWN`).
    public static func status(for error: WireError) -> GRPCStatus {
        switch error {
        case .store(let error): status(for: error)
        case .auth(let error): status(for: error)
        case .protocolViolation(let message), .invalidArguments(let message): GRPCStatus(.invalidArgument, message)
        case .unknownCommand(let message), .notImplemented(let message): GRPCStatus(.unimplemented, message)
        case .internalError(let message): GRPCStatus(.internal, message)
        case .tooManyConnections(let message): GRPCStatus(.unavailable, message)
        case .stopped: GRPCStatus(.unavailable, "etcdserver: server stopped")
        case .unsupportedVersion: GRPCStatus(.failedPrecondition, error.message)
        case .other(_, let message): GRPCStatus(.unknown, message)
        }
    }

    /// etcd's status for a store error (`rpctypes.ErrGRPC…`).
    public static func status(for error: StoreError) -> GRPCStatus {
        switch error {
        case .emptyKey: GRPCStatus(.invalidArgument, "etcdserver: key is not provided")
        case .keyNotFound: GRPCStatus(.invalidArgument, "etcdserver: key not found")
        case .valueProvided: GRPCStatus(.invalidArgument, "etcdserver: value is provided")
        case .leaseProvided: GRPCStatus(.invalidArgument, "etcdserver: lease is provided")
        case .tooManyOperations: GRPCStatus(.invalidArgument, "etcdserver: too many operations in txn request")
        case .duplicateKey: GRPCStatus(.invalidArgument, "etcdserver: duplicate key given in txn request")
        case .compacted: GRPCStatus(.outOfRange, "etcdserver: mvcc: required revision has been compacted")
        case .futureRevision: GRPCStatus(.outOfRange, "etcdserver: mvcc: required revision is a future revision")
        case .spaceExceeded: GRPCStatus(.resourceExhausted, "etcdserver: mvcc: database space exceeded")
        case .leaseNotFound: GRPCStatus(.notFound, "etcdserver: requested lease not found")
        case .leaseExists: GRPCStatus(.failedPrecondition, "etcdserver: lease already exists")
        case .leaseTTLTooLarge: GRPCStatus(.outOfRange, "etcdserver: too large lease TTL")
        case .requestTooLarge: GRPCStatus(.invalidArgument, "etcdserver: request is too large")
        case .watchIDInUse: GRPCStatus(.unknown, duplicateWatchIDText)
        }
    }

    /// etcd's status for an auth error (`rpctypes.ErrGRPC…`).
    public static func status(for error: AuthError) -> GRPCStatus {
        switch error {
        case .rootUserNotExist: GRPCStatus(.failedPrecondition, "etcdserver: root user does not exist")
        case .rootRoleNotExist: GRPCStatus(.failedPrecondition, "etcdserver: root user does not have root role")
        case .userAlreadyExists: GRPCStatus(.failedPrecondition, "etcdserver: user name already exists")
        case .userNameEmpty: GRPCStatus(.invalidArgument, "etcdserver: user name is empty")
        case .userNotFound: GRPCStatus(.failedPrecondition, "etcdserver: user name not found")
        case .roleAlreadyExists: GRPCStatus(.failedPrecondition, "etcdserver: role name already exists")
        case .roleNotFound: GRPCStatus(.failedPrecondition, "etcdserver: role name not found")
        case .authenticationFailed: GRPCStatus(.invalidArgument, "etcdserver: authentication failed, invalid user ID or password")
        case .permissionDenied: GRPCStatus(.permissionDenied, "etcdserver: permission denied")
        case .roleNotGranted: GRPCStatus(.failedPrecondition, "etcdserver: role is not granted to the user")
        case .permissionNotGranted: GRPCStatus(.failedPrecondition, "etcdserver: permission is not granted to the role")
        case .authNotEnabled: GRPCStatus(.failedPrecondition, "etcdserver: authentication is not enabled")
        case .invalidAuthToken: GRPCStatus(.unauthenticated, "etcdserver: invalid auth token")
        case .invalidAuthManagement: GRPCStatus(.invalidArgument, "etcdserver: invalid auth management")
        case .tooManyRequests: GRPCStatus(.resourceExhausted, "etcdserver: too many requests")
        }
    }

    /// The status for a message that could not be decoded (see `EtcdWireError`): grpc-go's `INTERNAL`
    /// "grpc: error unmarshalling request: …" for bytes that are not the message, `INVALID_ARGUMENT` for
    /// a value our types cannot hold, etcd's own status for what etcd's checks refuse.
    public static func status(for error: EtcdWireError) -> GRPCStatus {
        switch error {
        case .malformed(let cause): GRPCStatus(.internal, "grpc: error unmarshalling request: \(cause)")
        case .unsupportedValue(let detail): GRPCStatus(.invalidArgument, detail)
        case .rejected(let wireError): status(for: wireError)
        }
    }
}
