/// Abuse bounds: what a client may make this connection do before it is reset or sent away. Each limit
/// ends in RST_STREAM or GOAWAY, never in unbounded memory. The concurrent stream limit, the frame size
/// limit and the header list limit are in `HTTP2Settings`, because they are also advertised.
///
/// Memory per connection is bounded by: the input carry buffer (one frame: 9 + `maxFrameSize`), one
/// header block (`maxHeaderBlockBytes`), the delivered-but-unconsumed DATA (the connection receive
/// window), pending control responses (`maxPendingControlFrames` frames), and the outgoing data the app
/// queued — the app bounds that one itself with `queuedBytes(streamID:)`: a peer that never opens its
/// window leaves queued data queued.
public struct HTTP2Limits: Sendable, Hashable {
    /// The header block bytes (HEADERS + CONTINUATION payloads, padding removed) buffered for one
    /// header block before it is decoded. Exceeding it is a connection error: GOAWAY(ENHANCE_YOUR_CALM)
    /// (the block cannot be skipped without desynchronizing HPACK, RFC 9113 §4.3).
    public var maxHeaderBlockBytes: Int = 64 * 1024
    /// CONTINUATION frames in one header block (a flood of tiny or empty ones costs CPU without growing
    /// the buffer). Exceeding it: GOAWAY(ENHANCE_YOUR_CALM).
    public var maxContinuationFrames: Int = 128
    /// Control frames this connection wrote in answer to the peer (SETTINGS ACK, PING ACK, RST_STREAM)
    /// that are still in the output, i.e. not yet taken with `takeOutput`. A peer that floods PINGs or
    /// SETTINGS while not reading our answers hits it: GOAWAY(ENHANCE_YOUR_CALM).
    public var maxPendingControlFrames: Int = 1000
    /// Rapid reset (CVE-2023-44487): at most this many stream resets — RST_STREAM from the peer, or our
    /// REFUSED_STREAM refusals — per `rapidResetWindow` streams opened. One more: GOAWAY(ENHANCE_YOUR_CALM).
    public var maxResetsPerWindow: Int = 200
    /// The number of opened streams after which the reset count starts again at zero.
    public var rapidResetWindow: Int = 1000
    /// DATA frames in a row with no data, no padding and no END_STREAM (they cost work and carry nothing);
    /// one more: GOAWAY(ENHANCE_YOUR_CALM). A DATA frame with content resets the count.
    public var maxConsecutiveEmptyDataFrames: Int = 32

    public init() {}

    public init(maxHeaderBlockBytes: Int = 64 * 1024, maxContinuationFrames: Int = 128,
                maxPendingControlFrames: Int = 1000, maxResetsPerWindow: Int = 200, rapidResetWindow: Int = 1000,
                maxConsecutiveEmptyDataFrames: Int = 32) {
        self.maxHeaderBlockBytes = maxHeaderBlockBytes
        self.maxContinuationFrames = maxContinuationFrames
        self.maxPendingControlFrames = maxPendingControlFrames
        self.maxResetsPerWindow = maxResetsPerWindow
        self.rapidResetWindow = rapidResetWindow
        self.maxConsecutiveEmptyDataFrames = maxConsecutiveEmptyDataFrames
    }
}
