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
/// A stream whose `content-type` does not name `application/grpc` is an HTTP request (`/health`,
/// `/version`, `/metrics`, the JSON gateway), as etcd routes it: an `HTTP2RequestStream` answers it
/// with the HTTP/1.1 front end's handlers, beside the gRPC calls on the same connection.
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
    /// The streams that are HTTP requests, not gRPC calls.
    private var requests: [UInt32: HTTP2RequestStream] = [:]
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
    /// No gRPC call and no HTTP request is open.
    private var hasNoStreams: Bool { calls.isEmpty && requests.isEmpty }
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
            } else if let request = requests[streamID] {
                if endStream { request.endOfInput() }
            } else {
                open(streamID, headers: headers, endStream: endStream)
            }
        case .data(let streamID, let bytes, let endStream):
            // The call buffers at most one message (bounded by the request limit): its bytes count as
            // consumed at once, so the client's window opens again as it sends.
            // An HTTP request's body is bounded the same way (`HTTP2RequestStream`).
            http2.consumed(streamID: streamID, count: bytes.count)
            if let call = calls[streamID] {
                call.received(bytes)
                if endStream { calls[streamID]?.inputEnded() }
            } else if let request = requests[streamID] {
                request.received(bytes)
                if endStream { requests[streamID]?.endOfInput() }
            }
        case .streamReset(let streamID, _):
            calls.removeValue(forKey: streamID)?.cancel()
            requests.removeValue(forKey: streamID)?.cancel()
        case .drained(let streamID):
            calls[streamID]?.resume()
            requests[streamID]?.resume()
        case .goAway:
            beginDrain()
        case .connectionError(let code, let reason):
            context.state.logger.debug("client error: id=\(id) peer=\(peer): HTTP/2 \(code): \(reason)")
            sayFarewell()
        }
    }

    private func open(_ streamID: UInt32, headers: [HeaderField], endStream: Bool) {
        // A request's header block starts with its pseudo-headers; one without is the trailers of a
        // stream already answered and forgotten (its client was still sending).
        guard headers.first?.name.first == ":" else { return }
        let head: GRPCRequestHead
        switch GRPCRequestHead.parse(headers) {
        case .success(let parsed): head = parsed
        case .failure(let failure):
            switch failure {
            case .http:
                openRequest(streamID, headers: headers, endStream: endStream)
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

    /// A stream that is an HTTP request, not a gRPC call.
    private func openRequest(_ streamID: UInt32, headers: [HeaderField], endStream: Bool) {
        guard state == .open else {
            // Closing: as a new gRPC call is refused, so is a new request.
            resetStream(streamID, code: .refusedStream)
            return
        }
        let request = HTTP2RequestStream(streamID: streamID, headers: headers, connection: self)
        requests[streamID] = request
        request.start(endStream: endStream)
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

    /// Sends body bytes of an HTTP response (`endStream` ends the stream; its bytes may be empty then).
    func sendData(_ streamID: UInt32, _ bytes: [UInt8], endStream: Bool) {
        http2.sendData(streamID: streamID, bytes: bytes, endStream: endStream)
        markDirty()
    }

    /// An HTTP request is over: its response is complete and its client has ended its side.
    func requestFinished(_ streamID: UInt32) {
        requests.removeValue(forKey: streamID)
        markDirty()
    }

    /// Asks the client of an answered request to stop sending its body: RST_STREAM NO_ERROR (RFC 9113
    /// §8.1), and the request is over. False (nothing done) while the response is still queued for
    /// flow-control window, which the reset would drop.
    func stopReceiving(_ streamID: UInt32) -> Bool {
        guard http2.queuedBytes(streamID: streamID) == 0 else { return false }
        http2.resetStream(streamID: streamID, code: .noError)
        requests.removeValue(forKey: streamID)
        markDirty()
        return true
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
        if state == .draining && hasNoStreams { markDirty() }
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
            for request in Array(requests.values) { request.resume() }
            if http2.hasOutput {
                output.writeBytes(http2.takeOutput())
                _ = try? transport.send(from: &output)
            }
            if readPaused && state == .open {
                readPaused = false
                readable()
            }
        }
        if state == .draining && hasNoStreams || http2.isClosed {
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
        for request in Array(requests.values) { request.drain() }
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
        for request in requests.values { request.cancel() }
        requests.removeAll()
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
        for request in requests.values { request.cancel() }
        requests.removeAll()
        context.loop.deregister(transport.fd)
        try? transport.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected: id=\(id) peer=\(peer) (\(reason))")
    }
}
