import EtcdWire
import HPACK
import HTTP2
import KVPosix
import KVProtocol
import KVStore

/// One HTTP/2 client connection serving etcd's gRPC API, owned by one event loop: bytes read from the
/// socket go through the HTTP/2 state machine (`HTTP2ServerConnection`), whose events open, feed and
/// close `GRPCCall`s (one per HTTP/2 stream); what the calls send goes back through the state machine
/// (flow control, framing) into the output buffer and the transport.
///
/// Backpressure: while the unsent output is over `--max-output-bytes` the connection reads nothing, so
/// a client that does not read its replies cannot make the server buffer more. Streams that produce a
/// lot (Watch, Snapshot) also wait while their own HTTP/2 queue holds more than `streamQueueLimit`,
/// which a peer that never opens its flow-control window keeps full: that stream stops, others go on.
///
/// Closing: a GOAWAY from the peer or a server shutdown lets open calls finish (watches are canceled)
/// and closes once the output is flushed; an HTTP/2 connection error sends GOAWAY and closes after it.
final class GRPCConnection: ClientPortConnection {
    enum State { case open, draining, closed }

    let id: UInt64
    let transport: ClientTransport
    let peer: String
    unowned let context: LoopContext
    var isQueuedForFlush = false
    private(set) var state = State.open
    private var http2: HTTP2ServerConnection
    private var output = ByteBuffer(capacity: 16 * 1024)
    private var calls: [UInt32: GRPCCall] = [:]
    private var readPaused = false
    private var interest: EpollInterest = .readable
    private var received: [UInt8]

    /// Bytes read per wake-up at most.
    static let readBudget = 256 * 1024
    /// A stream producing a long reply (a watch, a snapshot) waits while more than this is queued on it.
    static let streamQueueLimit = 256 * 1024

    init(transport: ClientTransport, context: LoopContext, peer: String, received: [UInt8]) {
        self.transport = transport
        self.context = context
        self.peer = peer
        self.received = received
        id = context.state.makeConnectionID()
        let config = context.state.config
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = config.maxConcurrentStreams
        http2 = HTTP2ServerConnection(settings: settings)
    }

    var frontEnd: FrontEnd { .http2 }
    var outputLimit: Int { context.state.config.maxOutputBytes }
    var isOpen: Bool { state == .open }
    /// Bytes written and not yet sent: the connection's output plus what HTTP/2 still holds for `stream`.
    func pendingBytes(stream: UInt32) -> Int { output.readableBytes + http2.queuedBytes(streamID: stream) }
    /// Whether a stream may produce more now.
    func hasRoom(stream: UInt32) -> Bool {
        output.readableBytes < outputLimit && http2.queuedBytes(streamID: stream) < GRPCConnection.streamQueueLimit
    }

    func start() {
        let bytes = received
        received = []
        bytes.withUnsafeBytes { feed($0) }
        afterWriting()
        if state == .open { readable() }
    }

    // MARK: Input

    func readable() {
        guard state != .closed, !readPaused else { return }
        var total = 0
        while total < GRPCConnection.readBudget && state != .closed && !readPaused {
            let result: IOResult<Int>
            do {
                result = try transport.receive(into: context.scratch)
            } catch {
                context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
                close(reason: "read error")
                return
            }
            guard case .processed(let count) = result else { break }
            if count == 0 {
                // The client closed its side: nothing more will come; answer what is open, then close.
                afterWriting()
                beginDrain()
                return
            }
            total += count
            feed(UnsafeRawBufferPointer(rebasing: context.scratch[0..<count]))
            if count < context.scratch.count { break }
        }
        afterWriting()
    }

    private func feed(_ bytes: UnsafeRawBufferPointer) {
        let events = http2.receive(bytes)
        for event in events {
            guard state != .closed else { return }
            handle(event)
        }
    }

    private func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let streamID, let headers, let endStream):
            if let call = calls[streamID] {
                // Trailers from the client end its side of the stream.
                if endStream { call.inputEnded() }
            } else {
                open(streamID, headers: headers, endStream: endStream)
            }
        case .data(let streamID, let bytes, let endStream):
            // The call buffers at most one message (bounded by the request limit): its bytes count as
            // consumed at once, so the client's window opens again as it sends.
            http2.consumed(streamID: streamID, count: bytes.count)
            guard let call = calls[streamID] else { return }
            call.received(bytes)
            if endStream { calls[streamID]?.inputEnded() }
        case .streamReset(let streamID, _):
            calls.removeValue(forKey: streamID)?.cancel()
        case .drained(let streamID):
            calls[streamID]?.resume()
        case .goAway:
            beginDrain()
        case .connectionError(let code, let reason):
            context.state.logger.debug("client error: id=\(id) peer=\(peer): HTTP/2 \(code): \(reason)")
            sayFarewell()
        }
    }

    private func open(_ streamID: UInt32, headers: [HeaderField], endStream: Bool) {
        let head: GRPCRequestHead
        switch GRPCRequestHead.parse(headers) {
        case .success(let parsed): head = parsed
        case .failure(let failure):
            switch failure {
            case .notGRPC(let status):
                sendHeaders(streamID, [HeaderField(":status", String(status))], endStream: true)
            case .status(let status):
                finish(streamID, code: status.code.rawValue, message: status.message, headersSent: false)
            }
            return
        }
        guard state == .open else {
            finish(streamID, code: GRPCStatus.Code.unavailable.rawValue, message: "transport is closing", headersSent: false)
            return
        }
        let call = GRPCCall(streamID: streamID, head: head, connection: self)
        calls[streamID] = call
        call.start()
        if endStream { calls[streamID]?.inputEnded() }
    }

    // MARK: Calls' output

    static let responseHeaders = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")]
    /// The constant header blocks, encoded once (`HPACKEncodedBlock`): every response's headers and
    /// every successful call's trailers.
    static let responseHeaderBlock = HPACKEncodedBlock(responseHeaders)
    static let okTrailerBlock = HPACKEncodedBlock([HeaderField("grpc-status", "0")])

    func sendHeaders(_ streamID: UInt32, _ headers: [HeaderField], endStream: Bool) {
        if headers == GRPCConnection.responseHeaders {
            http2.sendHeaders(streamID: streamID, block: GRPCConnection.responseHeaderBlock, endStream: endStream)
        } else {
            http2.sendHeaders(streamID: streamID, headers: headers, endStream: endStream)
        }
        markDirty()
    }

    /// Sends one gRPC message (already prefixed) on a stream.
    func sendMessage(_ streamID: UInt32, _ framed: [UInt8]) {
        http2.sendData(streamID: streamID, bytes: framed, endStream: false)
        markDirty()
    }

    /// Ends a call with its status: trailers after a response, or a trailers-only response.
    func finish(_ streamID: UInt32, code: Int, message: String, headersSent: Bool) {
        if code == 0 && message.isEmpty && headersSent {
            http2.sendHeaders(streamID: streamID, block: GRPCConnection.okTrailerBlock, endStream: true)
            calls.removeValue(forKey: streamID)
            markDirty()
            return
        }
        var trailers = headersSent ? [] : GRPCConnection.responseHeaders
        trailers.append(HeaderField("grpc-status", String(code)))
        if !message.isEmpty { trailers.append(HeaderField("grpc-message", GRPCStatusText.percentEncoded(message))) }
        http2.sendHeaders(streamID: streamID, headers: trailers, endStream: true)
        calls.removeValue(forKey: streamID)
        markDirty()
        if state == .draining && calls.isEmpty { markDirty() }
    }

    /// A call is done with its stream without a status of its own (the peer reset it, or it was canceled).
    func forget(_ streamID: UInt32) {
        calls.removeValue(forKey: streamID)
    }

    func resetStream(_ streamID: UInt32, code: HTTP2ErrorCode) {
        http2.resetStream(streamID: streamID, code: code)
        calls.removeValue(forKey: streamID)
        markDirty()
    }

    private func markDirty() {
        context.markDirty(self)
    }

    // MARK: Output

    /// Moves what HTTP/2 produced into the output; pauses reading while the output is over its limit.
    private func afterWriting() {
        if http2.hasOutput {
            let bytes = http2.takeOutput()
            output.writeBytes(bytes)
        }
        let pending = output.readableBytes
        if pending > 0 {
            context.state.notePeakOutput(pending)
            markDirty()
        }
        if pending >= outputLimit && !readPaused {
            context.metrics.outputPaused(.http2)
            readPaused = true
            updateInterest()
        }
    }

    func flush() {
        guard state != .closed else { return }
        if http2.hasOutput { output.writeBytes(http2.takeOutput()) }
        do {
            try transport.send(from: &output)
        } catch {
            context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
            close(reason: "write error")
            return
        }
        if output.readableBytes < outputLimit / 2 {
            // Streams waiting for room produce more (their output lands in HTTP/2, then here).
            for call in Array(calls.values) where call.isWaitingForRoom { call.resume() }
            if http2.hasOutput {
                output.writeBytes(http2.takeOutput())
                _ = try? transport.send(from: &output)
            }
            if readPaused && state == .open {
                readPaused = false
                readable()
            }
        }
        if state == .draining && calls.isEmpty || http2.isClosed {
            sayFarewell()
            return
        }
        updateInterest()
    }

    private func updateInterest() {
        guard state != .closed else { return }
        var wanted: EpollInterest = []
        if !readPaused { wanted.insert(.readable) }
        if transport.wantsWritable(output) { wanted.insert(.writable) }
        guard wanted != interest else { return }
        do {
            try context.loop.setInterest(transport.fd, wanted)
            interest = wanted
        } catch {
            close(reason: "epoll error: \(error)")
        }
    }

    func writable() { flush() }

    func hangup() { close(reason: "hangup") }

    // MARK: Closing

    /// Stops taking new calls (GOAWAY) and cancels streams that never end by themselves (watches,
    /// keep-alives); closes once the others have answered and the output is flushed.
    func beginDrain() {
        guard state == .open else { return }
        state = .draining
        http2.goAway(code: .noError, debug: "")
        for call in Array(calls.values) { call.drain() }
        afterWriting()
        markDirty()
    }

    /// Hands the socket and the output not yet sent (a GOAWAY last) to a `FarewellConnection`, which
    /// sends it and closes without resetting a client that is still sending: closing at once with
    /// unread input would make the kernel reset the connection and could destroy the GOAWAY.
    private func sayFarewell() {
        guard state != .closed else { return }
        state = .closed
        for call in calls.values { call.cancel() }
        calls.removeAll()
        if http2.hasOutput { output.writeBytes(http2.takeOutput()) }
        let remaining = output.readAll()
        context.handOff(from: self, to: FarewellConnection(transport: transport, context: context, peer: peer, frontEnd: .http2,
                                                           farewell: remaining),
                        transport: transport)
    }

    func close(reason: String) {
        guard state != .closed else { return }
        state = .closed
        for call in calls.values { call.cancel() }
        calls.removeAll()
        context.loop.deregister(transport.fd)
        try? transport.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected: id=\(id) peer=\(peer) (\(reason))")
    }
}
