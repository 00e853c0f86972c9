import EtcdWire
import HPACK
import HTTP2

/// One HTTP request that is not gRPC on an HTTP/2 stream — `GET /health`, `/version`, `/metrics`, a
/// JSON gateway `POST /v3/…` — answered by the handlers the HTTP/1.1 front end uses (`HTTPRouter`,
/// `GatewayExchange`), as etcd hands every request whose content type is not `application/grpc` to its
/// HTTP handlers. This type only translates: header fields and DATA into an `HTTPRequest`, and the
/// `HTTPResponse` back into HEADERS and DATA (a gateway stream's pieces as DATA, with no chunking).
/// Status, content type and body are what HTTP/1.1 answers; HTTP/2 adds `content-length` to a whole
/// response and `date`, as Go's server does.
///
/// * **The request.** It is answered once the client ends its side of the stream (END_STREAM, or
///   trailers); a `:path` HTTP/1.1 would refuse as a target gets 400 at once.
/// * **Bounds.** The body is held to the HTTP/1.1 limit (`HTTPRequest.bodyLimit`): a `content-length`
///   over it, or DATA going over it, is answered 413 at once. As HTTP/1.1 reads and discards for a
///   while what a refused client still sends (so it reads the answer instead of a reset), up to one
///   more limit's worth is read and discarded; past that the client is asked to stop (RST_STREAM
///   NO_ERROR, RFC 9113 §8.1). Many clients (curl 7.88) report a reset received while they upload as
///   a failure, not the 413, hence the grace.
/// * **Backpressure.** A gateway stream (Watch, Snapshot) produces while the connection's unsent output
///   is under `--max-output-bytes` and this stream's HTTP/2 queue under `GRPCConnection.streamQueueLimit`,
///   as a gRPC stream does; it resumes when either drains.
///
/// Loop thread only.
final class HTTP2RequestStream {
    let streamID: UInt32
    unowned let connection: GRPCConnection
    /// Nil when the header block is no request HTTP/1.1 would take (answered 400).
    private var request: HTTPRequest?
    private let bodyLimit: Int
    private var exchange: GatewayExchange?
    /// The response is complete (END_STREAM queued), or the stream is gone: nothing more is sent.
    private(set) var isFinished = false
    /// The client ended its side of the stream.
    private var inputEnded = false
    /// Body bytes discarded after the response (a refused request whose client goes on sending).
    private var discarded = 0
    /// A `HEAD` request: its response has headers only (RFC 9110 §9.3.2).
    private let isHead: Bool

    init(streamID: UInt32, headers: [HeaderField], connection: GRPCConnection) {
        self.streamID = streamID
        self.connection = connection
        request = HTTPRequest(http2: headers)
        isHead = request?.method == "HEAD"
        bodyLimit = HTTPRequest.bodyLimit(maxRequestBytes: connection.context.state.config.maxRequestBytes)
    }

    private var metrics: LoopMetrics { connection.context.metrics }

    /// Refuses a request that cannot be served at once; answers one that came without a body (`endStream`).
    func start(endStream: Bool) {
        inputEnded = endStream
        guard let request else { return refuse(.badRequest, "malformed :path") }
        if let declared = request.header("content-length"), let length = Int(declared), length > bodyLimit {
            return refuse(.contentTooLarge, "request body over \(bodyLimit) bytes")
        }
        if endStream { answer() }
    }

    // MARK: Input

    /// Body bytes; a body over the limit is answered 413 and the rest is discarded.
    func received(_ bytes: [UInt8]) {
        guard !isFinished else {
            discarded += bytes.count
            if discarded > bodyLimit { _ = connection.stopReceiving(streamID) }
            return
        }
        guard exchange == nil, !inputEnded, let count = request?.body.count else { return }
        guard bytes.count <= bodyLimit - count else {
            return refuse(.contentTooLarge, "request body over \(bodyLimit) bytes")
        }
        request?.body.append(contentsOf: bytes)
    }

    /// The client ended its side: the request is complete.
    func endOfInput() {
        guard !inputEnded else { return }
        inputEnded = true
        if isFinished {
            connection.requestFinished(streamID)
        } else {
            answer()
        }
    }

    /// Answers the complete request (or starts its gateway call).
    private func answer() {
        guard !isFinished, exchange == nil, let request else { return }
        self.request?.body = []   // the gateway call holds it
        switch HTTPRouter(state: connection.context.state).answer(to: request, frontEnd: .http2, metrics: metrics) {
        case .response(let response):
            write(response)
        case .gateway(let method):
            let exchange = GatewayExchange(transport: self, method: method, request: request)
            self.exchange = exchange
            exchange.start()
        }
    }

    // MARK: Events from the connection

    /// The connection's output drained, or this stream's flow-control window opened.
    func resume() { exchange?.resume() }

    /// The peer reset the stream, or the connection is closing: stop everything, send nothing.
    func cancel() {
        isFinished = true
        exchange?.cancel()
        exchange = nil
    }

    /// The server is stopping: a gateway Watch, which never ends by itself, ends now with etcd's status
    /// (as a gRPC Watch does); other answers finish.
    func drain() {
        guard !isFinished, let exchange, exchange.method == .watch else { return }
        exchange.failStream(GRPCStatus(.unavailable, "etcdserver: server stopped"))
    }

    // MARK: Output

    /// A request refused before it is complete (what `HTTPRequestParser` refuses over HTTP/1.1).
    private func refuse(_ status: HTTPStatus, _ reason: String) {
        connection.context.state.logger.debug("http2 client error: peer=\(connection.peer) stream=\(streamID): \(status.code) \(reason)")
        let started = metrics.started(.http2)
        write(.error(status, status.reason))
        metrics.finished(.notFound, frontEnd: .http2, startedAt: started)
    }

    /// Sends a whole response; the stream is done.
    private func write(_ response: HTTPResponse) {
        guard !isFinished else { return }
        isFinished = true
        let head = response.http2Head(contentLength: response.body.count, date: HTTPResponse.date())
        let hasBody = !response.body.isEmpty && !isHead
        connection.sendHeaders(streamID, head, endStream: !hasBody)
        if hasBody { connection.sendData(streamID, response.body, endStream: true) }
        metrics.responded(response.status)
        // A refused request whose client is still sending stays until it stops (see `received`).
        if inputEnded { connection.requestFinished(streamID) }
    }
}

/// A gateway call on this stream writes its answer here.
extension HTTP2RequestStream: GatewayTransport {
    var context: LoopContext { connection.context }
    var clientTransport: ClientTransport { connection.transport }
    var peer: String { connection.peer }
    var frontEnd: FrontEnd { .http2 }

    /// The connection's unsent output and this stream's queue; at least `--max-output-bytes` once the
    /// queue is over `GRPCConnection.streamQueueLimit`, so a stream whose window the peer keeps shut
    /// stops producing while the others go on.
    var pendingOutputBytes: Int {
        let pending = connection.pendingBytes(stream: streamID)
        return connection.hasRoom(stream: streamID) ? pending : max(pending, connection.outputLimit)
    }

    func finishExchange(with response: HTTPResponse) {
        guard exchange != nil else { return }
        exchange = nil
        write(response)
    }

    func beginStream(_ head: HTTPResponse) {
        guard !isFinished else { return }
        connection.sendHeaders(streamID, head.http2Head(contentLength: nil, date: HTTPResponse.date()), endStream: false)
        metrics.responded(head.status)
    }

    func writeStreamChunk(_ bytes: [UInt8]) {
        guard !isFinished, !bytes.isEmpty else { return }
        connection.sendData(streamID, bytes, endStream: false)
    }

    func endStream() {
        guard exchange != nil, !isFinished else { return }
        exchange = nil
        isFinished = true
        connection.sendData(streamID, [], endStream: true)
        connection.requestFinished(streamID)
    }
}
