import Glibc
import KVPosix
import KVProtocol

/// The last moments of a connection the server is closing: it sends its final bytes (an HTTP error,
/// an HTTP/2 GOAWAY), shuts down its sending side, and reads and discards whatever the client still
/// sends until the client closes too — at most `lingerBytes` bytes and `lingerNanoseconds` — before
/// closing. Closing at once with unread input would make the kernel reset the connection, and a reset
/// can destroy the final bytes before the client reads them (a client still uploading a body the
/// server refused would see "connection reset" instead of the 413).
final class FarewellConnection: ClientPortConnection {
    let transport: ClientTransport
    let peer: String
    let frontEnd: FrontEnd
    unowned let context: LoopContext
    var isQueuedForFlush = false
    private var output: ByteBuffer
    private var discarded = 0
    private var timer: TimerID?
    private var closed = false
    private var shutDown = false
    private var draining = false

    static let lingerBytes = 16 << 20
    static let lingerNanoseconds: UInt64 = 2_000_000_000

    init(transport: ClientTransport, context: LoopContext, peer: String, frontEnd: FrontEnd, farewell: some Sequence<UInt8>) {
        self.transport = transport
        self.context = context
        self.peer = peer
        self.frontEnd = frontEnd
        output = ByteBuffer(bytes: farewell)
    }

    func start() {
        timer = context.loop.scheduleOnLoop(after: FarewellConnection.lingerNanoseconds) { [weak self] in
            self?.timer = nil
            self?.close(reason: "linger time over")
        }
        flush()
    }

    func readable() {
        guard !closed else { return }
        var budget = Connection.readBudget
        do {
            while budget > 0 {
                guard case .processed(let count) = try transport.receive(into: context.scratch) else { return }
                if count == 0 {
                    if shutDown {
                        close(reason: "closed after farewell")
                    } else {
                        // The peer is done sending; only the farewell is left to write.
                        try? context.loop.setInterest(transport.fd, .writable)
                    }
                    return
                }
                budget -= count
                discarded += count
                if discarded > FarewellConnection.lingerBytes {
                    close(reason: "peer kept sending after farewell")
                    return
                }
            }
        } catch {
            close(reason: "read error: \(error)")
        }
    }

    func writable() { flush() }

    func hangup() { close(reason: "hangup") }

    /// The server is stopping: no lingering; close once the farewell is written.
    func beginDrain() {
        draining = true
        if shutDown { close(reason: "server stopping") }
    }

    func flush() {
        guard !closed, !shutDown else { return }
        do {
            guard try transport.send(from: &output) else {
                // Held for the log: the loop flushes again once it has synced.
                try? context.loop.setInterest(transport.fd, transport.isHeld ? [.readable] : [.readable, .writable])
                return
            }
        } catch {
            close(reason: "write error")
            return
        }
        if draining {
            close(reason: "server stopping")
            return
        }
        shutDown = true
        try? transport.shutdownWrite()
        try? context.loop.setInterest(transport.fd, .readable)
        // If the peer had already closed, the next read sees its end of stream and closes.
    }

    func close(reason: String) {
        guard !closed else { return }
        closed = true
        if let timer { context.loop.cancelOnLoop(timer) }
        timer = nil
        context.loop.deregister(transport.fd)
        try? transport.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected: peer=\(peer) frontend=\(frontEnd.label) (\(reason))")
    }
}
