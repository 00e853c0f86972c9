import HPACK

/// What `HTTP2ServerConnection.receive` found in the bytes it was given, in order.
public enum HTTP2Event: Sendable, Hashable {
    /// A new request's headers (the first on a stream: the app learns of the stream here), or its
    /// trailers (always `endStream: true`) on a stream it knows. Names are lower-case and pseudo-headers
    /// come first (checked); `:method`, `:scheme` and `:path` are each present once (`:authority` only
    /// for CONNECT).
    case headers(streamID: UInt32, headers: [HeaderField], endStream: Bool)
    /// Request body bytes, padding removed. Call `consumed(streamID:count:)` with the count once the app
    /// has taken them, so the peer may send more. An empty `bytes` only ever carries `endStream: true`.
    case data(streamID: UInt32, bytes: [UInt8], endStream: Bool)
    /// The stream is gone: the peer sent RST_STREAM, or we reset it for a stream error (`code` says why).
    /// The app forgets the stream; its queued output is dropped. Only for streams the app was told
    /// about with `.headers` (a refused or malformed new stream is reset without an event).
    case streamReset(streamID: UInt32, code: HTTP2ErrorCode)
    /// Data the app queued on this stream that had been waiting for flow-control window has now all
    /// been framed: produce more. Only for streams still open for sending (not after `endStream`).
    case drained(streamID: UInt32)
    /// The peer sent GOAWAY: it is going away (it opens no new streams; `lastStreamID` is about streams
    /// WE would have opened, so for a server it is informational).
    case goAway(lastStreamID: UInt32, code: HTTP2ErrorCode)
    /// The connection failed: we wrote GOAWAY(code). Write out the remaining output, then close the
    /// socket. Nothing more is read.
    case connectionError(code: HTTP2ErrorCode, reason: String)
}
