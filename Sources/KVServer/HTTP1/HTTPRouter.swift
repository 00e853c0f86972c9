/// Answers a parsed HTTP/1.1 request: what etcd serves on its client port besides the gateway.
///
/// | path | answer |
/// |---|---|
/// | `GET /health` | 200 `{"health":"true","reason":""}`; 503 `{"health":"false","reason":"ALARM NOSPACE"}` while the NOSPACE alarm is raised, unless `?exclude=NOSPACE` (etcd 3.5.0's bodies, sent as `application/json`) |
/// | `GET /version` | 200 `{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}` (`Version.etcdCompatible`) |
/// | `GET /metrics` | 200, Prometheus text format 0.0.4 (`MetricsPage`) |
/// | `/v3/…`, `/v3beta/…` | etcd's JSON gateway: `HTTPConnection` hands these to a `GatewayExchange` before they reach the router |
/// | other methods on the paths above | 405 with `Allow: GET` (as etcd: HEAD too) |
/// | anything else | 404 `404 page not found` |
struct HTTPRouter {
    let state: ServerState

    func response(to request: HTTPRequest, route: HTTPRoute, metrics: LoopMetrics) -> HTTPResponse {
        switch route {
        case .health, .version, .metrics:
            guard request.method == "GET" else {
                return .error(.methodNotAllowed, "Method Not Allowed", headers: [("Allow", "GET")])
            }
        case .gateway, .notFound:
            break
        }
        switch route {
        case .health:
            let excluded = Set(request.queryValues("exclude"))
            let healthy = !state.isNoSpaceAlarmed || excluded.contains("NOSPACE")
            metrics.healthChecked(healthy: healthy)
            return healthy ? .json(.ok, #"{"health":"true","reason":""}"#)
                           : .json(.serviceUnavailable, #"{"health":"false","reason":"ALARM NOSPACE"}"#)
        case .version:
            return .json(.ok, #"{"etcdserver":"\#(Version.etcdCompatible)","etcdcluster":"\#(Version.etcdCluster)"}"#)
        case .metrics:
            return HTTPResponse(status: .ok, contentType: PrometheusText.contentType, body: MetricsPage.render(state: state))
        case .gateway, .notFound:
            return .error(.notFound, "404 page not found")
        }
    }
}
