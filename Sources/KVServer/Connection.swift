import Glibc
import KVPosix
import KVProtocol
import KVStore

/// One client connection, owned by one event loop: bytes in, requests decoded from complete lines,
/// replies encoded straight into the output buffer, flushed before the loop sleeps.
///
/// States:
///
///     open ──peer closed / server stopping──▶ draining ──output flushed──▶ closed
///       └──────────────reset, hangup, write error────────────────────────▶ closed
///
/// Backpressure: once the unsent output reaches the limit, the connection stops decoding requests,
/// stops reading the socket and stops taking watch events; it resumes when the output has drained below
/// half the limit. Input is read at most `readBudget` bytes per wake-up, so the input buffer holds at
/// most that plus one partial line (which the line decoder caps at the request limit).
///
/// Requests go to the `Service` with the connection's `ClientSession`; the connection writes what comes
/// back in the line protocol. Large replies (range reads, transactions) are streamed: a `ReplyStream`,
/// which the connection produces a step at a time while its output is under the limit, at most
/// `streamStepsPerTurn` steps before it lets the loop serve other clients. While a reply is being
/// produced the connection reads no input and takes no watch events (they would land inside the line),
/// so one request holds at most the output limit plus one step, however large its reply.
final class Connection: EventHandler {
    enum State { case open, draining, closed }

    let id: UInt64
    let transport: ClientTransport
    let peer: String
    unowned let context: LoopContext
    private(set) var state = State.open
    private var input = ByteBuffer(capacity: 4096)
    private var output = ByteBuffer(capacity: 4096)
    private var decoder: LineDecoder
    private var readPaused = false
    private var interest: EpollInterest = .readable
    /// The reply being produced, when a large one is streamed; requests wait until it is finished.
    private var reply: ReplyStream?
    /// A turn of `reply` is queued on the loop.
    private var replyTurnQueued = false
    let watches: WatchFanout
    /// The client's login and snapshot, as the service keeps them.
    let session: ClientSession
    var isQueuedForFlush = false
    /// Set while a login is being checked: the connection reads and answers nothing else meanwhile,
    /// so replies stay in order and guesses cannot be pipelined past the throttle.
    private var loginPending = false
    private var loginThrottle: LoginThrottle
    /// Set while a long job (HASH, COMPACT) runs on the worker for this connection: like a login, the
    /// connection answers nothing else meanwhile, so replies stay in order.
    private var jobPending = false
    /// Waiting for a login or a job to answer.
    private var isWaiting: Bool { loginPending || jobPending }
    /// The peer closed its side while a login or job was pending: drain once the remaining input is answered.
    private var closeAfterWait = false

    /// Bytes read per wake-up at most (level-triggered: the rest is read next tick).
    static let readBudget = 256 * 1024
    /// One step of a streamed reply: at most this many keys walked or written, about this many bytes.
    static let streamKeysPerStep = 2048
    static let streamBytesPerStep = 64 * 1024
    /// Steps of a streamed reply per turn before other clients are served.
    static let streamStepsPerTurn = 2

    /// - Parameter received: bytes already read from the socket (while its protocol was sniffed).
    init(transport: ClientTransport, context: LoopContext, peer: String, received: [UInt8] = []) {
        input.writeBytes(received)
        self.transport = transport
        session = ClientSession(transport: transport)
        self.context = context
        self.peer = peer
        self.id = context.state.makeConnectionID()
        // The request limit applies to the payload; the line also carries the verb, options and quoting.
        decoder = LineDecoder(maximumLineLength: context.state.config.maxRequestBytes + 65_536)
        watches = WatchFanout(store: context.state.store, loop: context.loop,
                              outputLimit: context.state.config.maxOutputBytes)
        loginThrottle = LoginThrottle(baseDelay: context.state.config.authFailureDelay)
        watches.sink = self
    }

    var isOpen: Bool { state == .open }
    var outputLimit: Int { context.state.config.maxOutputBytes }

    // MARK: Events

    func readable() {
        guard state == .open, !readPaused, !isWaiting, reply == nil else { return }
        let received: ClientTransport.Received
        do {
            received = try transport.receive(into: &input, scratch: context.scratch, budget: Connection.readBudget)
        } catch {
            context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
            close(reason: "read error")
            return
        }
        let peerClosed = received.endOfStream
        processInput()
        if peerClosed {
            // A partial request left in the input is dropped: the client will never finish it. Lines
            // after a pending login are still answered once it completes.
            if isWaiting { closeAfterWait = true } else { beginDrain() }
        }
    }

    func writable() {
        flush()
    }

    func hangup() {
        close(reason: "hangup")
    }

    // MARK: Requests

    /// Answers every complete line in the input, stopping early when the output reaches its limit.
    private func processInput() {
        while state == .open && !isWaiting && reply == nil && output.readableBytes < outputLimit {
            guard let framed = decoder.next(from: &input) else { break }
            switch framed {
            case .line(let line):
                handle(line)
            case .tooLong(let tag):
                context.state.logger.debug("client error: id=\(id) peer=\(peer): request line over \(decoder.maximumLineLength) bytes")
                ReplyEncoder.encode(decoder.tooLongError, tag: tag, into: &output)
            }
        }
        afterWriting()
    }

    private func handle(_ line: [UInt8]) {
        let decoded: RequestLine
        do {
            guard let request = try RequestDecoder.decode(line, maxTxnOps: context.state.config.maxTxnOps) else { return }
            decoded = request
        } catch {
            if context.state.logger.isEnabled(.debug) {
                context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error.error.code) \(error.error.message)")
            }
            ReplyEncoder.encode(error.error, tag: error.tag, into: &output)
            return
        }
        let metrics = context.metrics, started = metrics.started(.line)
        if case .authenticate(let login) = decoded.request {
            beginLogin(login, tag: decoded.tag)
            return
        }
        write(context.service.handle(decoded.request, session: session), tag: decoded.tag)
        metrics.finished(decoded.request.kind, startedAt: started)
    }

    /// A range walking at most this many entries, with as many results, is written at once (no stream).
    static let smallRangeKeys = 128
    /// Deletes returning more previous key-values than this are streamed.
    static let streamedDeleteKVs = 64

    /// Writes what the service made of a request in the line protocol: a reply line now, a reply produced
    /// as the client reads, the wait for a worker's job, or the change to this connection's watches.
    private func write(_ outcome: ServiceOutcome, tag: RequestTag?) {
        switch outcome {
        case .response(.deleteRange(let delete)) where delete.prevKVs.count > Connection.streamedDeleteKVs:
            stream(ReplyStream(delete: delete, tag: tag))
        case .response(let response):
            ReplyEncoder.encode(response, tag: tag, into: &output)
        case .failure(let error):
            ReplyEncoder.encode(error, tag: tag, into: &output)
        case .range(let cursor):
            if !ReplyStream.writeIfSmall(range: cursor, tag: tag, maxKeys: Connection.smallRangeKeys, into: &output) {
                stream(ReplyStream(range: cursor, tag: tag))
            }
        case .txn(let txn):
            stream(ReplyStream(txn: txn, tag: tag))
        case .job(let job):
            beginJob(job, tag: tag)
        case .watch(let request):
            do {
                let watch = try watches.create(request, tag: tag)
                ReplyEncoder.encode(watch.created, tag: tag, into: &output)
                watches.deliver(watch.ready, for: watch.id)
            } catch {
                ReplyEncoder.encode(WireError.store(error), tag: tag, into: &output)
            }
        case .unwatch(let id):
            if let (watchTag, canceled) = watches.cancel(id) {
                ReplyEncoder.encode(.unwatch(canceled), tag: tag, into: &output)
                ReplyEncoder.encodeEvent(canceled, tag: watchTag, into: &output)
            } else {
                ReplyEncoder.encode(.unwatch(WatchResponse(header: watches.header, watchID: id)), tag: tag, into: &output)
            }
        case .progress(let header):
            watches.requestProgress()
            ReplyEncoder.encodeHeaderOnly(header, tag: tag, into: &output)
        }
    }

    private func stream(_ stream: ReplyStream) {
        reply = stream
        if !advanceReply() { updateInterest() }
    }

    // MARK: Jobs

    /// Hands a long job to the worker and parks the connection until its result comes back to this loop.
    private func beginJob(_ job: @escaping @Sendable () -> Result<Response, WireError>, tag: RequestTag?) {
        jobPending = true
        updateInterest()
        let handle = LoopOwned(self)
        let loop = context.loop
        context.state.worker.submit {
            let result = job()
            loop.execute { handle.value.finishJob(result, tag: tag) }
        }
    }

    private func finishJob(_ result: Result<Response, WireError>, tag: RequestTag?) {
        jobPending = false
        guard state != .closed else { return }
        ReplyEncoder.encode(result, tag: tag, into: &output)
        resumeAfterWait()
    }

    /// After a login or a job answered: reading, requests and watch events resume.
    private func resumeAfterWait() {
        afterWriting()
        updateInterest()
        if state == .open {
            processInput()
            watches.pump()
        }
        if closeAfterWait && !isWaiting {
            closeAfterWait = false
            beginDrain()
        }
    }

    // MARK: Streamed replies

    /// Produces the reply while the output has room, for at most one turn; true once it is finished.
    /// When the turn ends with room left, another turn is queued behind the loop's other work; when the
    /// output is full, `flush` queues one once it has drained. Turns run only as queued tasks (after the
    /// first, in the request's own handler), and a connection has at most one queued, so each streaming
    /// connection gets at most one turn per loop tick, however often it becomes writable.
    private func advanceReply() -> Bool {
        guard let stream = reply else { return true }
        var steps = 0
        while output.readableBytes < outputLimit && steps < Connection.streamStepsPerTurn {
            if stream.produce(into: &output, maxKeys: Connection.streamKeysPerStep, maxBytes: Connection.streamBytesPerStep) {
                reply = nil
                return true
            }
            steps += 1
        }
        if output.readableBytes < outputLimit { queueReplyTurn() }
        return false
    }

    private func queueReplyTurn() {
        guard !replyTurnQueued else { return }
        replyTurnQueued = true
        let handle = LoopOwned(self)
        context.loop.execute {
            handle.value.replyTurnQueued = false
            handle.value.resumeReply()
        }
    }

    /// Continues the streamed reply; once it is finished, reading, requests and watch events resume.
    private func resumeReply() {
        guard state != .closed, reply != nil else { return }
        let finished = advanceReply()
        afterWriting()
        guard finished else { return }
        if readPaused && output.readableBytes < outputLimit / 2 { readPaused = false }
        updateInterest()
        switch state {
        case .open:
            processInput()
            watches.pump()
        case .draining:
            if output.isEmpty { close(reason: "drained") }
        case .closed:
            break
        }
    }

    // MARK: Logins

    /// Hands the password check to the checker thread and parks the connection until it answers.
    private func beginLogin(_ login: AuthenticateRequest, tag: RequestTag?) {
        loginPending = true
        updateInterest()
        let handle = LoopOwned(self)
        let loop = context.loop
        context.state.loginGuard.check(name: login.name, password: login.password, peer: peer, loop: loop) { result in
            let connection = handle.value
            var delay: UInt64 = 0
            if case .failure(let error) = result, error == .authenticationFailed || error == .tooManyRequests {
                delay = connection.loginThrottle.recordFailure()
                connection.context.state.logger.debug(
                    "failed login: id=\(connection.id) peer=\(connection.peer) user=\(String(reflecting: login.name)) failures=\(connection.loginThrottle.failures)")
            }
            if delay == 0 {
                connection.finishLogin(result, tag: tag)
            } else {
                loop.scheduleOnLoop(after: delay) { connection.finishLogin(result, tag: tag) }
            }
        }
    }

    private func finishLogin(_ result: Result<String, AuthError>, tag: RequestTag?) {
        loginPending = false
        guard state != .closed else { return }
        switch result {
        case .success(let token):
            if let previous = session.authToken { context.state.store.auth.revoke(token: previous) }
            session.authToken = token
            ReplyEncoder.encode(AuthResponse(header: context.state.header()), kind: .authenticate, tag: tag, into: &output)
        case .failure(let error):
            ReplyEncoder.encode(WireError.auth(error), tag: tag, into: &output)
        }
        resumeAfterWait()
    }

    /// After output was appended: pause reading when over the limit, and queue a flush.
    private func afterWriting() {
        let pending = output.readableBytes
        guard pending > 0 else { return }
        context.state.notePeakOutput(pending)
        if pending >= outputLimit && !readPaused {
            context.metrics.outputPaused(.line)
            readPaused = true
            updateInterest()
        }
        context.markDirty(self)
    }

    // MARK: Output

    /// Writes as much output as the socket takes; asks for write readiness only after a short write,
    /// and resumes a paused connection once its output has drained.
    func flush() {
        guard state != .closed else { return }
        do {
            try transport.send(from: &output)
        } catch {
            context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
            close(reason: "write error")
            return
        }
        if reply != nil && output.readableBytes < outputLimit / 2 { queueReplyTurn() }
        if readPaused && reply == nil && state == .open && output.readableBytes < outputLimit / 2 {
            readPaused = false
            processInput()
            watches.pump()
            if !output.isEmpty { context.markDirty(self) }
        }
        if state == .draining && output.isEmpty && reply == nil {
            close(reason: "drained")
            return
        }
        updateInterest()
    }

    private func updateInterest() {
        guard state != .closed else { return }
        var wanted: EpollInterest = []
        if state == .open && !readPaused && !isWaiting && reply == nil { wanted.insert(.readable) }
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

    /// Stops reading; the connection closes once its output is flushed.
    func beginDrain() {
        guard state == .open else { return }
        state = .draining
        watches.cancelAll()
        if output.isEmpty && reply == nil {
            close(reason: "closed by peer")
        } else {
            context.markDirty(self)
            updateInterest()
        }
    }

    func close(reason: String) {
        guard state != .closed else { return }
        state = .closed
        reply = nil
        watches.cancelAll()
        if let authToken = session.authToken { context.state.store.auth.revoke(token: authToken) }
        context.loop.deregister(transport.fd)
        try? transport.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected: id=\(id) peer=\(peer) (\(reason))")
    }
}

/// The line protocol's watch stream is the connection: responses are `EVENT` lines in its output.
extension Connection: WatchSink {
    /// Open, and no reply line half-written.
    var acceptsEvents: Bool { state == .open && reply == nil }
    var pendingWatchBytes: Int { output.readableBytes }

    func writeWatchResponse(_ response: WatchResponse, tag: RequestTag?) {
        ReplyEncoder.encodeEvent(response, tag: tag, into: &output)
    }

    func watchResponsesWritten() { afterWriting() }
}
