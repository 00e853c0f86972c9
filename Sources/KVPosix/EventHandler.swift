/// The object an ``EventLoop`` calls when its descriptor is ready.
///
/// Every method runs on the loop's thread. For one epoll event the loop calls, in this order,
/// `readable()`, `writable()` and `hangup()` for the conditions reported, skipping the rest as
/// soon as the handler deregisters its descriptor (so a handler that closes itself in
/// `readable()` is not called again for that event, nor for a new descriptor that reuses the
/// number).
public protocol EventHandler: AnyObject {
    /// Data, end of stream, or (for a listening socket) a connection is waiting. Level-triggered
    /// registrations are called again next tick while anything is left unread.
    func readable()

    /// Send space is available. Only reported while `.writable` is in the interest set; ask for
    /// it after a short write and drop it once the output buffer is flushed.
    func writable()

    /// The peer hung up or the descriptor has an error (`EPOLLHUP`, `EPOLLERR`, or
    /// `EPOLLRDHUP` with `.peerClosed`). Usually the handler deregisters and closes. Data may
    /// still be readable; `readable()` was already called first if it was reported.
    func hangup()
}

extension EventHandler {
    public func writable() {}
}
