/// What a `GatewayExchange` writes its answer through: the HTTP/1.1 connection it came on, or the
/// HTTP/2 stream (`HTTP2RequestStream`). Loop thread only.
protocol GatewayTransport: AnyObject {
    var context: LoopContext { get }
    /// The front end the request came on (the `frontend` label of its metrics).
    var frontEnd: FrontEnd { get }
    /// The connection's bytes (its log mark, its TLS identity).
    var clientTransport: ClientTransport { get }
    var peer: String { get }
    /// Output written and not yet sent: a stream produces more only while this is under
    /// `--max-output-bytes`.
    var pendingOutputBytes: Int { get }
    /// Writes a whole response; the exchange is over.
    func finishExchange(with response: HTTPResponse)
    /// Writes the head of a streamed response (HTTP/1.1: chunked; HTTP/1.0: closed at its end; HTTP/2:
    /// DATA frames).
    func beginStream(_ head: HTTPResponse)
    /// Writes one piece of the streamed body.
    func writeStreamChunk(_ bytes: [UInt8])
    /// Ends the streamed body; the exchange is over.
    func endStream()
}
