/// What a `GatewayExchange` writes its answer through: the HTTP/1.1 connection it came on (or a test's
/// recorder). Loop thread only.
protocol GatewayTransport: AnyObject {
    var context: LoopContext { get }
    /// The connection's bytes (its log mark, its TLS identity).
    var clientTransport: ClientTransport { get }
    var peer: String { get }
    /// Output written and not yet sent: a stream produces more only while this is under
    /// `--max-output-bytes`.
    var pendingOutputBytes: Int { get }
    /// Writes a whole response; the exchange is over.
    func finishExchange(with response: HTTPResponse)
    /// Writes the head of a streamed response (chunked; for HTTP/1.0, closed at its end).
    func beginStream(_ head: HTTPResponse)
    /// Writes one piece of the streamed body.
    func writeStreamChunk(_ bytes: [UInt8])
    /// Ends the streamed body; the exchange is over.
    func endStream()
}
