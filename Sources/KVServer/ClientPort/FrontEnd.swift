/// Who serves a client connection on the shared client port: decided once per connection from its first
/// bytes (see `ProtocolSniffer`), and the `frontend` label of the connection and request metrics.
enum FrontEnd: Int, CaseIterable, Sendable {
    /// Accepted, first bytes not yet classified.
    case sniffing
    /// kvserver's line protocol (docs/PROTOCOL.md): the default for anything not recognized as HTTP.
    case line
    /// HTTP/1.0 and HTTP/1.1: `/health`, `/version`, `/metrics`, later etcd's JSON gateway (`/v3/…`).
    case http1
    /// HTTP/2 (the connection preface, or ALPN `h2`): etcd's gRPC API (`GRPCConnection`), and HTTP
    /// requests that are not gRPC (`HTTP2RequestStream`).
    case http2

    var label: String {
        switch self {
        case .sniffing: "sniffing"
        case .line: "line"
        case .http1: "http1"
        case .http2: "http2"
        }
    }
}
