import EtcdWire
import HPACK

/// What the server needs from a gRPC request's headers: the method (from `:path`), the auth token
/// (etcd's `token` metadata, or `authorization` as etcd also accepts), and the deadline. `hasleader`
/// (clientv3's "require a leader") is always satisfied: a single member leads.
struct GRPCRequestHead {
    var method: EtcdMethod
    var token: String?
    /// Nanoseconds from `grpc-timeout`, nil without one.
    var timeout: UInt64?

    enum Failure: Error {
        /// Not gRPC at all: its `content-type` does not name `application/grpc`. etcd hands such a
        /// request to its HTTP handlers (`/health`, the JSON gateway, …): `HTTP2RequestStream`.
        case http
        /// Meant for gRPC, but not a call: answer this HTTP status (405 for a method other than POST,
        /// 415 for a content type that only contains `application/grpc`), as grpc-go does.
        case notGRPC(Int)
        /// A gRPC request the server cannot take: a trailers-only response with this status.
        case status(GRPCStatus)
    }

    static func parse(_ headers: [HeaderField]) -> Result<GRPCRequestHead, Failure> {
        var path: String?
        var method: String?
        var contentType: String?
        var token: String?
        var authorization: String?
        var timeoutText: String?
        for header in headers {
            switch header.name {
            case ":path": path = header.value
            case ":method": method = header.value
            case "content-type": contentType = header.value
            case "token": token = header.value
            case "authorization": authorization = header.value
            case "grpc-timeout": timeoutText = header.value
            default: break
            }
        }
        // etcd's rule (its grpcHandlerFunc): gRPC when the content type contains application/grpc.
        guard let contentType, isGRPC(contentType) || contentType.contains("application/grpc") else { return .failure(.http) }
        guard method == "POST" else { return .failure(.notGRPC(405)) }
        guard isGRPC(contentType) else { return .failure(.notGRPC(415)) }
        guard let path else { return .failure(.status(GRPCStatus(.unimplemented, "malformed method name: \"\""))) }
        guard let etcdMethod = EtcdMethod(path: path) else {
            return .failure(.status(GRPCStatus(.unimplemented, unknownMethodMessage(path))))
        }
        var timeout: UInt64?
        if let timeoutText {
            guard let nanoseconds = GRPCTimeout.nanoseconds(timeoutText) else {
                return .failure(.status(GRPCStatus(.internal, "transport: malformed grpc-timeout: \(timeoutText)")))
            }
            timeout = nanoseconds
        }
        return .success(GRPCRequestHead(method: etcdMethod, token: token ?? authorization, timeout: timeout))
    }

    /// `application/grpc`, optionally followed by `+format` or `;parameters`.
    static func isGRPC(_ contentType: String) -> Bool {
        let prefix = "application/grpc"
        guard contentType.hasPrefix(prefix) else { return false }
        let rest = contentType.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: ";")
    }

    /// etcd's gRPC services ("etcdserverpb.KV", …).
    static let services = Set(EtcdMethod.allCases.map { String($0.service) })

    /// grpc-go's texts: "unknown service S" or "unknown method M for service S".
    static func unknownMethodMessage(_ path: String) -> String {
        var trimmed = Substring(path)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "malformed method name: \"\(path)\"" }
        let service = trimmed[..<slash], method = trimmed[trimmed.index(after: slash)...]
        if services.contains(String(service)) {
            return "unknown method \(method) for service \(service)"
        }
        return "unknown service \(service)"
    }
}
