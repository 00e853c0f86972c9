/// HTTP/2 (RFC 9113), server side, without sockets: see `HTTP2ServerConnection`.
///
/// How an event loop drives one connection:
///
/// 1. `HTTP2ServerConnection(settings:limits:)` — its output (our SETTINGS and a connection
///    WINDOW_UPDATE) can be written at once.
/// 2. For every read: `receive(bytes)` (or `receive(_:into:)`), then handle the events in order:
///    `.headers` starts a request (or carries its trailers), `.data` carries its body (call
///    `consumed(streamID:count:)` once the bytes are taken, or the peer stalls), `.streamReset` drops a
///    stream, `.drained` asks for more of a large reply, `.goAway` says the peer leaves,
///    `.connectionError` says to flush and close.
/// 3. Answer with `sendHeaders` / `sendData` / `resetStream`; they never fail (sending on a stream that
///    is gone is ignored). Produce a large reply piecewise while `queuedBytes(streamID:)` is small.
/// 4. After reads and sends, write `takeOutput()` (or `takeOutput(appendingTo:)`) to the socket. Stop
///    reading while the socket's write side is backed up: control answers (PING/SETTINGS ACKs, resets)
///    not taken are bounded by `HTTP2Limits.maxPendingControlFrames`, after which the peer is sent away.
/// 5. Close the socket once `isClosed` is true and the output is written. `goAway(code: .noError, …)`
///    starts a graceful shutdown.
public enum HTTP2 {
    /// The client connection preface (RFC 9113 §3.4).
    public static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
