import KVPosix
import KVProtocol

/// A newly accepted connection whose first bytes have not told yet which protocol it speaks. It reads
/// them into a small buffer, asks `ProtocolSniffer`, and hands the socket and the bytes to the front end
/// the verdict names; `handOff` is the one place where front ends plug in.
///
/// Bounds: at most `ProtocolSniffer.maximumBytes` are examined (plus what one read returns), and a
/// half-sent first line is waited for at most `--protocol-sniff-timeout` (default 5 s) from its first
/// byte; then the connection goes to the line protocol with what it sent. A connection that sends
/// nothing has no timer: whenever it does speak, it is classified then. No request ever passes through
/// here after the hand-off, so the line protocol's hot path pays nothing for the sharing.
final class SniffingConnection: ClientPortConnection {
    let socket: Socket
    let peer: String
    unowned let context: LoopContext
    var isQueuedForFlush = false
    private var sniffer = ProtocolSniffer()
    private var received = ByteBuffer(capacity: 256)
    private var timer: TimerID?
    private var done = false

    init(socket: Socket, context: LoopContext, peer: String) {
        self.socket = socket
        self.context = context
        self.peer = peer
    }

    var frontEnd: FrontEnd { .sniffing }

    func start() {}

    func readable() {
        guard !done else { return }
        let result: IOResult<Int>
        do {
            result = try socket.receive(into: context.scratch)
        } catch {
            close(reason: "read error: \(error)")
            return
        }
        guard case .processed(let count) = result else { return }
        if count == 0 {
            // End of stream: nothing said is nothing to serve; a partial first line is the line
            // protocol's to drop, as it always was.
            if received.isEmpty { close(reason: "closed by peer") } else { handOff(.line) }
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: context.scratch[0..<count])
        received.writeBytes(bytes)
        let verdict = sniffer.feed(bytes)
        if verdict != .undecided {
            handOff(verdict)
        } else if timer == nil {
            timer = context.loop.scheduleOnLoop(after: context.state.config.protocolSniffTimeout) { [weak self] in
                guard let self, !self.done else { return }
                self.timer = nil
                self.context.metrics.sniffTimedOut()
                self.handOff(.line)
            }
        }
    }

    func hangup() { close(reason: "hangup") }

    func flush() {}

    func beginDrain() { close(reason: "server stopping") }

    func close(reason: String) {
        guard !done else { return }
        done = true
        cancelTimer()
        context.loop.deregister(socket.fd)
        try? socket.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected before speaking a protocol: peer=\(peer) (\(reason))")
    }

    /// Gives the socket and every byte read so far to the front end of `verdict`.
    private func handOff(_ verdict: ProtocolSniffer.Verdict) {
        done = true
        cancelTimer()
        let bytes = received.readAll()
        let next: any ClientPortConnection
        switch verdict {
        case .http1:
            next = HTTPConnection(socket: socket, context: context, peer: peer, received: bytes)
        case .http2:
            // etcd's gRPC API, given the preface and whatever followed it.
            next = GRPCConnection(socket: socket, context: context, peer: peer, received: bytes)
        case .line, .undecided:
            next = Connection(socket: socket, context: context, peer: peer, received: bytes)
        }
        context.state.logger.debug("client speaks \(next.frontEnd.label): peer=\(peer)")
        context.handOff(from: self, to: next, socket: socket)
    }

    private func cancelTimer() {
        if let timer { context.loop.cancelOnLoop(timer) }
        timer = nil
    }
}
