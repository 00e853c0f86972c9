import Glibc
import KVPosix
import KVProtocol

/// An HTTP/1.0 or HTTP/1.1 client of the client port, on the same event loop as the line protocol's
/// connections: non-blocking, no thread of its own, output flushed before the loop sleeps.
///
/// * **Keep-alive and pipelining.** Every complete request in the input is answered, in order, into
///   one output buffer; HTTP/1.1 connections stay open unless a request says `Connection: close`
///   (HTTP/1.0 ones only with `Connection: keep-alive`). After a response with `Connection: close`
///   nothing more is read, and the connection closes gracefully (`FarewellConnection`) once the
///   response is flushed.
/// * **Bounds.** `HTTPRequestParser` limits the head (64 KiB), the request line (8 KiB) and the body
///   (`--max-request-bytes`), answering 4xx and closing when one is crossed. Input is read at most
///   `Connection.readBudget` bytes per wake-up.
/// * **Backpressure.** Once the unsent output reaches `--max-output-bytes`, no more requests are parsed
///   and the socket is not read; both resume when the output has drained below half of it.
/// * **Slow clients.** A request head that has begun must be complete within `--http-header-timeout`
///   (default 10 s), or the client gets 408 and is closed. An idle connection between requests is
///   never timed out (as etcd's).
/// * **etcd's JSON gateway.** A `/v3/…` request becomes a `GatewayExchange`; while it is answered (a
///   reply from the worker, a stream) no further request is parsed and the socket is not read, only
///   watched for the peer closing. A stream's body is chunked; its producers write while the unsent
///   output is under `--max-output-bytes` and resume (`GatewayExchange.resume`) as it drains.
final class HTTPConnection: ClientPortConnection, GatewayTransport {
    enum State { case open, draining, closed }

    let transport: ClientTransport
    var clientTransport: ClientTransport { transport }
    let peer: String
    unowned let context: LoopContext
    var isQueuedForFlush = false
    private(set) var state = State.open
    private var input = ByteBuffer(capacity: 4096)
    private var output = ByteBuffer(capacity: 4096)
    private var parser: HTTPRequestParser
    private let router: HTTPRouter
    private var readPaused = false
    private var interest: EpollInterest = .readable
    /// No more requests are read; the connection closes gracefully once its output is flushed.
    private var closing = false
    /// When the request head now in the input began to arrive (monotonic), and its timer.
    private var headStartedAt: UInt64?
    private var headTimer: TimerID?
    /// The gateway request being answered, and how its response is framed.
    private var exchange: GatewayExchange?
    private var exchangeKeepAlive = true
    private var exchangeVersion = HTTPRequest.Version.http11
    private var isProcessingInput = false

    /// - Parameter received: bytes already read from the socket (while its protocol was sniffed).
    init(transport: ClientTransport, context: LoopContext, peer: String, received: [UInt8] = []) {
        self.transport = transport
        self.context = context
        self.peer = peer
        let config = context.state.config
        parser = HTTPRequestParser(limits: .init(bodyBytes: HTTPRequest.bodyLimit(maxRequestBytes: config.maxRequestBytes)))
        router = HTTPRouter(state: context.state)
        input.writeBytes(received)
    }

    var frontEnd: FrontEnd { .http1 }
    private var outputLimit: Int { context.state.config.maxOutputBytes }

    func start() { readable() }

    // MARK: Events

    func readable() {
        guard state == .open, !readPaused, !closing, exchange == nil else { return }
        let received: ClientTransport.Received
        do {
            received = try transport.receive(into: &input, scratch: context.scratch, budget: Connection.readBudget)
        } catch {
            close(reason: "read error: \(error)")
            return
        }
        let peerClosed = received.endOfStream
        processInput()
        // The requests already received are answered; a partial one is dropped.
        if peerClosed { beginDrain() }
    }

    func writable() { flush() }

    func hangup() { close(reason: "hangup") }

    // MARK: Requests

    /// Answers every complete request in the input, stopping when the output reaches its limit.
    private func processInput() {
        isProcessingInput = true
        defer { isProcessingInput = false }
        while state == .open && !closing && exchange == nil && output.readableBytes < outputLimit {
            guard let event = parser.next(from: &input) else { break }
            switch event {
            case .sendContinue:
                output.writeASCII("HTTP/1.1 100 Continue\r\n\r\n")
            case .request(let request):
                respond(to: request)
            case .failure(let failure):
                context.state.logger.debug("http client error: peer=\(peer): \(failure.status.code) \(failure.message)")
                let started = context.metrics.started(.http1)
                write(.error(failure.status, failure.status.reason), keepAlive: false, version: .http11)
                context.metrics.finished(.notFound, frontEnd: .http1, startedAt: started)
                closing = true
            }
        }
        watchHead()
        afterWriting()
    }

    private func respond(to request: HTTPRequest) {
        switch router.answer(to: request, frontEnd: .http1, metrics: context.metrics) {
        case .response(let response):
            write(response, keepAlive: request.keepAlive, version: request.version)
            if !request.keepAlive { closing = true }
        case .gateway(let method):
            // etcd's JSON gateway: answered by the exchange, while no further request is read.
            exchangeKeepAlive = request.keepAlive
            exchangeVersion = request.version
            let started = GatewayExchange(transport: self, method: method, request: request)
            exchange = started
            started.start()
        }
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, version: HTTPRequest.Version) {
        response.encode(into: &output, keepAlive: keepAlive, version: version, date: HTTPResponse.date())
        context.metrics.responded(response.status)
    }

    // MARK: etcd's JSON gateway

    var pendingOutputBytes: Int { output.readableBytes }

    func finishExchange(with response: HTTPResponse) {
        guard exchange != nil else { return }
        exchange = nil
        write(response, keepAlive: exchangeKeepAlive, version: exchangeVersion)
        exchangeEnded()
    }

    func beginStream(_ head: HTTPResponse) {
        head.encodeStreamHead(into: &output, version: exchangeVersion, date: HTTPResponse.date())
        context.metrics.responded(head.status)
        if exchangeVersion == .http10 { exchangeKeepAlive = false }
    }

    func writeStreamChunk(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        if exchangeVersion == .http11 {
            HTTPResponse.encodeChunk(bytes, into: &output)
        } else {
            output.writeBytes(bytes)
        }
        if !isProcessingInput { afterWriting() }
    }

    func endStream() {
        guard exchange != nil else { return }
        exchange = nil
        if exchangeVersion == .http11 { output.writeASCII("0\r\n\r\n") }
        exchangeEnded()
    }

    /// The next requests are read once the gateway's answer is written.
    private func exchangeEnded() {
        if !exchangeKeepAlive { closing = true }
        guard !isProcessingInput, state != .closed else { return }
        if state == .open {
            processInput()
        } else {
            afterWriting()
        }
        updateInterest()
    }

    // MARK: Slow clients

    /// Starts the head timer when a request head has begun to arrive, stops it when none is pending.
    private func watchHead() {
        guard state == .open, !closing, exchange == nil, parser.isReadingHead(input) else {
            headStartedAt = nil
            cancelHeadTimer()
            return
        }
        guard headStartedAt == nil else { return }
        let started = Posix.monotonicNanoseconds()
        headStartedAt = started
        cancelHeadTimer()
        headTimer = context.loop.scheduleOnLoop(after: context.state.config.httpHeaderTimeout) { [weak self] in
            guard let self else { return }
            self.headTimer = nil
            guard self.headStartedAt == started, self.state == .open, !self.closing else { return }
            if self.readPaused {
                // Our own output is what holds the head back: give the client its time again.
                self.headStartedAt = nil
                self.watchHead()
                return
            }
            self.context.state.logger.debug("http client too slow: peer=\(self.peer): request head not complete in time")
            self.write(.error(.requestTimeout, HTTPStatus.requestTimeout.reason), keepAlive: false, version: .http11)
            self.closing = true
            self.afterWriting()
            self.updateInterest()
        }
    }

    private func cancelHeadTimer() {
        if let headTimer { context.loop.cancelOnLoop(headTimer) }
        headTimer = nil
    }

    // MARK: Output

    private func afterWriting() {
        let pending = output.readableBytes
        if closing { updateInterest() }
        guard pending > 0 else {
            if closing && state == .open { sayFarewell() }
            return
        }
        context.state.notePeakOutput(pending)
        if pending >= outputLimit && !readPaused {
            context.metrics.outputPaused(.http1)
            readPaused = true
            updateInterest()
        }
        context.markDirty(self)
    }

    /// Writes as much output as the socket takes; asks for write readiness only after a short write.
    func flush() {
        guard state != .closed else { return }
        do {
            try transport.send(from: &output)
        } catch {
            close(reason: "write error")
            return
        }
        if output.isEmpty {
            if state == .draining {
                close(reason: "drained")
                return
            }
            if closing {
                sayFarewell()
                return
            }
        }
        if readPaused && state == .open && output.readableBytes < outputLimit / 2 {
            readPaused = false
            processInput()
            if !output.isEmpty { context.markDirty(self) }
        }
        if let exchange, output.readableBytes < outputLimit {
            exchange.resume()
            if !output.isEmpty { context.markDirty(self) }
        }
        updateInterest()
    }

    private func updateInterest() {
        guard state != .closed else { return }
        var wanted: EpollInterest = []
        if state == .open && !readPaused && !closing {
            // While a gateway exchange is answered, only the peer closing is of interest.
            wanted.insert(exchange == nil ? .readable : .peerClosed)
        }
        if transport.wantsWritable(output) { wanted.insert(.writable) }
        guard wanted != interest else { return }
        do {
            try context.loop.setInterest(transport.fd, wanted)
            interest = wanted
        } catch {
            close(reason: "epoll error: \(error)")
        }
    }

    // MARK: Closing

    /// Hands the socket, its output flushed, to a `FarewellConnection`, which closes it without
    /// resetting a client that is still sending.
    private func sayFarewell() {
        guard state == .open else { return }
        state = .closed
        cancelHeadTimer()
        context.handOff(from: self, to: FarewellConnection(transport: transport, context: context, peer: peer, frontEnd: .http1,
                                                           farewell: []),
                        transport: transport)
    }

    /// Stops reading; the connection closes once its output is flushed.
    func beginDrain() {
        guard state == .open else { return }
        if let exchange {
            if exchange.method == .watch {
                // A watch stream never ends by itself: it ends with its client, or the server.
                exchange.cancel()
                self.exchange = nil
            } else {
                // A unary answer still coming (from the worker, a login) is sent, then the connection closes.
                state = .draining
                cancelHeadTimer()
                updateInterest()
                return
            }
        }
        state = .draining
        cancelHeadTimer()
        if output.isEmpty {
            close(reason: "closed by peer")
        } else {
            context.markDirty(self)
            updateInterest()
        }
    }

    func close(reason: String) {
        guard state != .closed else { return }
        state = .closed
        cancelHeadTimer()
        exchange?.cancel()
        exchange = nil
        context.loop.deregister(transport.fd)
        try? transport.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("http client disconnected: peer=\(peer) (\(reason))")
    }
}
