#if canImport(Glibc)
import Glibc
#endif
import EtcdWire
import KVProtocol
import KVStore
import Testing

/// Every store and auth error against etcd's `rpctypes/error.go`: its code and exact text.
@Suite struct GRPCStatusTests {
    /// (error, gRPC code name as in error.go's `codes.X`, text): copied from etcd 3.4's error.go.
    static let table: [(WireError, String, String)] = [
        (.store(.emptyKey), "InvalidArgument", "etcdserver: key is not provided"),
        (.store(.keyNotFound), "InvalidArgument", "etcdserver: key not found"),
        (.store(.valueProvided), "InvalidArgument", "etcdserver: value is provided"),
        (.store(.leaseProvided), "InvalidArgument", "etcdserver: lease is provided"),
        (.store(.tooManyOperations(count: 200, limit: 128)), "InvalidArgument", "etcdserver: too many operations in txn request"),
        (.store(.duplicateKey), "InvalidArgument", "etcdserver: duplicate key given in txn request"),
        (.store(.compacted(requested: 1, compactedRevision: 5)), "OutOfRange", "etcdserver: mvcc: required revision has been compacted"),
        (.store(.futureRevision(requested: 9, currentRevision: 5)), "OutOfRange", "etcdserver: mvcc: required revision is a future revision"),
        (.store(.spaceExceeded), "ResourceExhausted", "etcdserver: mvcc: database space exceeded"),
        (.store(.leaseNotFound(id: 7)), "NotFound", "etcdserver: requested lease not found"),
        (.store(.leaseExists(id: 7)), "FailedPrecondition", "etcdserver: lease already exists"),
        (.store(.leaseTTLTooLarge(ttl: 1 << 40)), "OutOfRange", "etcdserver: too large lease TTL"),
        (.store(.requestTooLarge(size: 2, limit: 1)), "InvalidArgument", "etcdserver: request is too large"),
        (.auth(.tooManyRequests), "ResourceExhausted", "etcdserver: too many requests"),
        (.auth(.rootUserNotExist), "FailedPrecondition", "etcdserver: root user does not exist"),
        (.auth(.rootRoleNotExist), "FailedPrecondition", "etcdserver: root user does not have root role"),
        (.auth(.userAlreadyExists("u")), "FailedPrecondition", "etcdserver: user name already exists"),
        (.auth(.userNameEmpty), "InvalidArgument", "etcdserver: user name is empty"),
        (.auth(.userNotFound("u")), "FailedPrecondition", "etcdserver: user name not found"),
        (.auth(.roleAlreadyExists("r")), "FailedPrecondition", "etcdserver: role name already exists"),
        (.auth(.roleNotFound("r")), "FailedPrecondition", "etcdserver: role name not found"),
        (.auth(.authenticationFailed), "InvalidArgument", "etcdserver: authentication failed, invalid user ID or password"),
        (.auth(.permissionDenied), "PermissionDenied", "etcdserver: permission denied"),
        (.auth(.roleNotGranted), "FailedPrecondition", "etcdserver: role is not granted to the user"),
        (.auth(.permissionNotGranted), "FailedPrecondition", "etcdserver: permission is not granted to the role"),
        (.auth(.authNotEnabled), "FailedPrecondition", "etcdserver: authentication is not enabled"),
        (.auth(.invalidAuthToken), "Unauthenticated", "etcdserver: invalid auth token"),
        (.auth(.invalidAuthManagement), "InvalidArgument", "etcdserver: invalid auth management"),
        (.stopped, "Unavailable", "etcdserver: server stopped"),
    ]

    static let codes: [String: GRPCStatus.Code] = [
        "InvalidArgument": .invalidArgument, "OutOfRange": .outOfRange, "ResourceExhausted": .resourceExhausted,
        "NotFound": .notFound, "FailedPrecondition": .failedPrecondition, "PermissionDenied": .permissionDenied,
        "Unauthenticated": .unauthenticated, "Unavailable": .unavailable,
    ]

    @Test(arguments: table.indices)
    func etcdCodeAndText(_ index: Int) throws {
        let (error, codeName, text) = Self.table[index]
        let status = EtcdWire.status(for: error)
        #expect(status.code == (try #require(Self.codes[codeName])))
        #expect(status.message == text)
    }

    @Test func tableCoversEveryStoreAndAuthError() {
        var storeCodes = Set<String>()
        var authCodes = Set<String>()
        for (error, _, _) in Self.table {
            if case .store = error { storeCodes.insert(error.code) }
            if case .auth = error { authCodes.insert(error.code) }
        }
        // WATCH_ID_IN_USE has no etcd gRPC error (checked below); every other store and auth code is in the table.
        let expected = Set(WireError.allCodes.filter { !["PROTOCOL", "UNKNOWN_COMMAND", "ARGS", "UNSUPPORTED_VERSION",
                                                          "NOT_IMPLEMENTED", "INTERNAL", "TOO_MANY_CONNECTIONS", "STOPPED",
                                                          "WATCH_ID_IN_USE"].contains($0) })
        #expect(storeCodes.union(authCodes) == expected)
    }

    @Test func storeAndAuthTextsAreOurOwnDescriptions() {
        // Our errors already carry etcd's texts; the status must not drift from them.
        for (error, _, _) in Self.table { #expect(EtcdWire.status(for: error).message == error.message) }
    }

    /// When etcd's sources are on this machine, every status is checked against error.go itself.
    static let errorGo = "/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes/error.go"

    @Test(.enabled(if: readFile(errorGo) != nil, "etcd's sources are not on this machine"))
    func matchesErrorGoWhenPresent() throws {
        let source = try #require(readFile(Self.errorGo))
        // Lines like: ErrGRPCEmptyKey = status.New(codes.InvalidArgument, "etcdserver: key is not provided").Err()
        var fromGo: [String: String] = [:]
        for line in source.split(separator: "\n") {
            let marker = "status.New(codes."
            guard let start = line.indices.first(where: { line[$0...].hasPrefix(marker) }) else { continue }
            let rest = line[line.index(start, offsetBy: marker.count)...]
            guard let comma = rest.firstIndex(of: ","), let firstQuote = rest.firstIndex(of: "\"") else { continue }
            let code = String(rest[..<comma])
            let afterQuote = rest[rest.index(after: firstQuote)...]
            guard let endQuote = afterQuote.firstIndex(of: "\"") else { continue }
            fromGo[String(afterQuote[..<endQuote])] = code
        }
        #expect(fromGo.count > 40)
        for (error, _, _) in Self.table where error != .auth(.tooManyRequests) {
            let status = EtcdWire.status(for: error)
            let code = try #require(fromGo[status.message], "\(status.message) is not in error.go")
            #expect(Self.codes[code] == status.code, "\(status.message)")
        }
        // util.go maps ErrTooManyRequests to the client-side ErrTooManyRequests: ResourceExhausted.
        #expect(fromGo["etcdserver: too many requests"] == "ResourceExhausted")
    }

    @Test func errorsEtcdHasNoGRPCErrorFor() {
        #expect(EtcdWire.status(for: .store(.watchIDInUse(id: 3)))
            == GRPCStatus(.unknown, "mvcc: duplicate watch ID provided on the WatchStream"))
        #expect(EtcdWire.status(for: .invalidArguments("bad")) == GRPCStatus(.invalidArgument, "bad"))
        #expect(EtcdWire.status(for: .protocolViolation("bad")).code == .invalidArgument)
        #expect(EtcdWire.status(for: .unknownCommand("x")).code == .unimplemented)
        #expect(EtcdWire.status(for: .notImplemented("x")).code == .unimplemented)
        #expect(EtcdWire.status(for: .internalError("x")) == GRPCStatus(.internal, "x"))
        #expect(EtcdWire.status(for: .tooManyConnections("x")).code == .unavailable)
        #expect(EtcdWire.status(for: .unsupportedVersion(requested: 2, supported: 1)).code == .failedPrecondition)
        #expect(EtcdWire.status(for: .other(code: "NEW", message: "m")) == GRPCStatus(.unknown, "m"))
        #expect(EtcdWire.status(for: EtcdWireError.unsupportedValue("v")) == GRPCStatus(.invalidArgument, "v"))
    }

    @Test func codeNumbersAndNames() {
        let all: [GRPCStatus.Code] = [.ok, .canceled, .unknown, .invalidArgument, .deadlineExceeded, .notFound, .alreadyExists,
                                      .permissionDenied, .resourceExhausted, .failedPrecondition, .aborted, .outOfRange,
                                      .unimplemented, .internal, .unavailable, .dataLoss, .unauthenticated]
        #expect(all.map(\.rawValue) == Array(0...16))
        #expect(GRPCStatus.Code.invalidArgument.description == "INVALID_ARGUMENT")
        #expect(GRPCStatus.Code(rawValue: 99).description == "CODE(99)")
    }
}

/// The whole file, or nil (no Foundation: Glibc's stdio).
func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
