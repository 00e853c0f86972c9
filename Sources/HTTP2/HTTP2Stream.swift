/// One stream the connection keeps: open or half-closed (RFC 9113 §5.1). Idle and closed streams are
/// not kept (see `StreamState`).
struct HTTP2Stream {
    let id: UInt32
    var state: StreamState

    /// What we may still send on it (the peer's window; may be negative after a SETTINGS decrease).
    var sendWindow: FlowControlWindow
    /// What the peer may still send on it before our next WINDOW_UPDATE.
    var receiveWindow: Int
    /// DATA octets handed to the app and not yet `consumed`.
    var unconsumed = 0
    /// Octets consumed (or padding) not yet returned to the peer in a WINDOW_UPDATE (batched).
    var pendingWindowUpdate = 0

    /// Outgoing items flow control has not let out yet.
    var queue = OutboundQueue()
    /// The app queued END_STREAM: nothing more may be queued.
    var endStreamQueued = false
    /// Data waited for window since the last time the queue emptied: `drained` is owed when it empties.
    var waitedForWindow = false
    /// The stream's id is in the connection's list of streams with queued output.
    var inSendList = false

    /// The request's content-length, checked against its DATA (RFC 9113 §8.1.1).
    var expectedContentLength: Int?
    var receivedDataBytes = 0

    init(id: UInt32, state: StreamState, sendWindow: Int, receiveWindow: Int) {
        self.id = id
        self.state = state
        self.sendWindow = FlowControlWindow(sendWindow)
        self.receiveWindow = receiveWindow
    }
}
