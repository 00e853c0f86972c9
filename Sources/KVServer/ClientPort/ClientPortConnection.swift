import KVPosix

/// A client connection owned by one event loop, whichever front end serves it: the sniffer that reads
/// its first bytes, then the line protocol's `Connection`, an `HTTPConnection`, or a
/// `FarewellConnection` closing it gracefully.
///
/// `LoopContext` keeps these (`attach`, `handOff`, `forget`), flushes the queued ones before the loop
/// sleeps, drains them on shutdown and closes them when the loop stops. Every method runs on the
/// owning loop's thread.
protocol ClientPortConnection: EventHandler {
    /// The front end serving the connection (the `frontend` label of its metrics).
    var frontEnd: FrontEnd { get }
    /// Set while queued in the loop's flush list (`LoopContext.markDirty`).
    var isQueuedForFlush: Bool { get set }
    /// Called once, right after the connection has taken over the socket, with the registration in
    /// place: handles the bytes it was handed (they may already hold whole requests, or the peer's end
    /// of stream, so it must not wait for the socket to become readable again).
    func start()
    /// Writes what the socket takes of the pending output.
    func flush()
    /// Stops taking requests; the connection closes once its output is flushed.
    func beginDrain()
    /// Closes the socket now, deregistering it, forgetting the connection and counting it gone.
    func close(reason: String)
}

extension Connection: ClientPortConnection {
    var frontEnd: FrontEnd { .line }

    /// Answers the lines received while sniffing (and reads whatever else has arrived).
    func start() { readable() }
}
