import EtcdWire

/// What a request gets, on either HTTP front end (HTTP/1.1, or a non-gRPC HTTP/2 stream).
enum HTTPAnswer {
    /// A whole response, to write now.
    case response(HTTPResponse)
    /// A `POST` to a gateway path: the front end runs it as a `GatewayExchange`, which answers later.
    case gateway(EtcdMethod)
}

/// Answers an HTTP request: what etcd serves on its client port besides the gateway's calls. Both
/// front ends ask it (`answer(to:frontEnd:metrics:)`), so each path is defined here once; a front end
/// only translates its bytes to an `HTTPRequest` and the answer back.
///
/// | path | answer |
/// |---|---|
/// | `GET /health` | 200 `{"health":"true","reason":""}`; 503 `{"health":"false","reason":"ALARM NOSPACE"}` while the NOSPACE alarm is raised, unless `?exclude=NOSPACE` (etcd 3.5.0's bodies, sent as `application/json`) |
/// | `GET /version` | 200 `{"etcdserver":"3.5.0","etcdcluster":"3.5.0"}` (`Version.etcdCompatible`) |
/// | `GET /metrics` | 200, Prometheus text format 0.0.4 (`MetricsPage`) |
/// | `/v3/…`, `/v3beta/…` | etcd's JSON gateway (`GatewayRoute.answer`): a `POST` to one of its paths is a `GatewayExchange` |
/// | other methods on the paths above | 405 with `Allow: GET` (as etcd: HEAD too) |
/// | anything else | 404 `404 page not found` |
struct HTTPRouter {
    let state: ServerState

    /// The answer to `request`, counted in the request metrics of `frontEnd` and its route (a gateway
    /// call is counted by the service when it runs).
    func answer(to request: HTTPRequest, frontEnd: FrontEnd, metrics: LoopMetrics) -> HTTPAnswer {
        let route = HTTPRoute(path: request.path)
        if route == .gateway { return GatewayRoute.answer(to: request) }
        let started = metrics.started(frontEnd)
        let answer = response(to: request, route: route, metrics: metrics)
        metrics.finished(route, frontEnd: frontEnd, startedAt: started)
        return .response(answer)
    }

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
