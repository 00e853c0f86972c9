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
///
/// Over TLS (an `https://` listener) the handshake comes first, bounded by `--tls-handshake-timeout`
/// (default 10 s, counted from the accept, so a client that sends nothing or half a ClientHello is
/// closed then). Its ALPN protocol decides when there is one: `h2` → HTTP/2 (gRPC), `http/1.1` →
/// HTTP/1.1; without ALPN the decrypted first bytes are sniffed as above, so the line protocol works
/// over TLS too. A failed handshake (plaintext sent to a TLS port, an untrusted CA at the client) is
/// logged with the peer and closes the connection; nothing reaches a front end.
final class SniffingConnection: ClientPortConnection {
    let transport: ClientTransport
    let peer: String
    unowned let context: LoopContext
    var isQueuedForFlush = false
    private var sniffer = ProtocolSniffer()
    private var received = ByteBuffer(capacity: 256)
    private var timer: TimerID?
    private var handshakeTimer: TimerID?
    private var done = false

    init(transport: ClientTransport, context: LoopContext, peer: String) {
        self.transport = transport
        self.context = context
        self.peer = peer
    }

    var frontEnd: FrontEnd { .sniffing }

    /// Over TLS, arms the handshake timeout.
    func start() {
        guard transport.isTLS else { return }
        handshakeTimer = context.loop.scheduleOnLoop(after: context.state.config.tlsHandshakeTimeout) { [weak self] in
            guard let self, !self.done else { return }
            self.handshakeTimer = nil
            self.context.state.logger.warn("TLS handshake with \(self.peer) timed out after \(self.context.state.config.tlsHandshakeTimeout / 1_000_000) ms; closing")
            self.close(reason: "TLS handshake timeout")
        }
    }

    func readable() {
        guard !done else { return }
        if let tls = transport.tls, !tls.isHandshakeDone {
            guard continueHandshake(tls) else { return }
        }
        let result: IOResult<Int>
        do {
            result = try transport.receive(into: context.scratch)
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

    func writable() { readable() }

    func hangup() { close(reason: "hangup") }

    func flush() {}

    /// Advances the TLS handshake; true once it is done and no ALPN protocol chose the front end (the
    /// decrypted bytes are to be sniffed).
    private func continueHandshake(_ tls: TLSSession) -> Bool {
        switch tls.handshake() {
        case .done:
            if let handshakeTimer { context.loop.cancelOnLoop(handshakeTimer) }
            handshakeTimer = nil
            try? context.loop.setInterest(transport.fd, .readable)
            let alpn = tls.negotiatedProtocol
            context.state.logger.debug("TLS handshake done: peer=\(peer) version=\(tls.version) alpn=\(alpn ?? "none")\(tls.peerCommonName.map { " client-cn=\($0)" } ?? "")")
            switch alpn {
            case "h2": handOff(.http2); return false
            case "http/1.1": handOff(.http1); return false
            default: return true
            }
        case .wantRead:
            try? context.loop.setInterest(transport.fd, .readable)
            return false
        case .wantWrite:
            try? context.loop.setInterest(transport.fd, [.readable, .writable])
            return false
        case .closed:
            close(reason: "closed during TLS handshake")
            return false
        case .failed(let reason):
            context.state.logger.warn("TLS handshake with \(peer) failed: \(reason); closing")
            close(reason: "TLS handshake failed: \(reason)")
            return false
        }
    }

    func beginDrain() { close(reason: "server stopping") }

    func close(reason: String) {
        guard !done else { return }
        done = true
        cancelTimer()
        context.loop.deregister(transport.fd)
        try? transport.close()
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
            next = HTTPConnection(transport: transport, context: context, peer: peer, received: bytes)
        case .http2:
            // etcd's gRPC API, given the preface and whatever followed it.
            next = GRPCConnection(transport: transport, context: context, peer: peer, received: bytes)
        case .line, .undecided:
            next = Connection(transport: transport, context: context, peer: peer, received: bytes)
        }
        context.state.logger.debug("client speaks \(next.frontEnd.label): peer=\(peer)")
        context.handOff(from: self, to: next, transport: transport)
    }

    private func cancelTimer() {
        if let timer { context.loop.cancelOnLoop(timer) }
        timer = nil
        if let handshakeTimer { context.loop.cancelOnLoop(handshakeTimer) }
        handshakeTimer = nil
    }
}
