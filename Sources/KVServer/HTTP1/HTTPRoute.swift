/// What an HTTP/1.1 request on the client port asks for, decided from its path alone (the method is
/// checked by the route's handler). The `command` label of the HTTP request metrics.
///
/// This is the one place a new path family plugs in: etcd's JSON gateway serves `.gateway`
/// (`GatewayRoute` picks the method).
enum HTTPRoute: Int, CaseIterable, Sendable {
    /// `/health`: etcd's health check.
    case health
    /// `/version`: the etcd server and cluster versions.
    case version
    /// `/metrics`: Prometheus text format 0.0.4.
    case metrics
    /// `/v3/…` and `/v3beta/…`: etcd's gRPC-JSON gateway (`HTTPConnection` hands these to a `GatewayExchange`).
    case gateway
    /// Anything else: 404.
    case notFound

    /// The route of a (percent-decoded) path.
    init(path: String) {
        switch path {
        case "/health": self = .health
        case "/version": self = .version
        case "/metrics": self = .metrics
        default: self = path.hasPrefix("/v3/") || path.hasPrefix("/v3beta/") ? .gateway : .notFound
        }
    }

    var label: String {
        switch self {
        case .health: "/health"
        case .version: "/version"
        case .metrics: "/metrics"
        case .gateway: "/v3"
        case .notFound: "other"
        }
    }
}
