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
final class Connection: EventHandler {
    enum State { case open, draining, closed }

    let id: UInt64
    let socket: Socket
    let peer: String
    unowned let context: LoopContext
    private(set) var state = State.open
    private var input = ByteBuffer(capacity: 4096)
    private var output = ByteBuffer(capacity: 4096)
    private var decoder: LineDecoder
    private var readPaused = false
    private var interest: EpollInterest = .readable
    let watches: WatchFanout
    /// The snapshot being streamed to this client, chunk by chunk (`SNAPSHOT`, `SNAPSHOT-NEXT`).
    var snapshot: SnapshotCursor?
    var isQueuedForFlush = false
    /// The token of the user this connection logged in as (`AUTHENTICATE`); nil before any login.
    private(set) var authToken: String?
    /// Set while a login is being checked: the connection reads and answers nothing else meanwhile,
    /// so replies stay in order and guesses cannot be pipelined past the throttle.
    private var loginPending = false
    private var loginThrottle: LoginThrottle
    /// The peer closed its side while a login was pending: drain once the remaining input is answered.
    private var closeAfterLogin = false

    /// Bytes read per wake-up at most (level-triggered: the rest is read next tick).
    static let readBudget = 256 * 1024

    init(socket: Socket, context: LoopContext, peer: String) {
        self.socket = socket
        self.context = context
        self.peer = peer
        self.id = context.state.makeConnectionID()
        // The request limit applies to the payload; the line also carries the verb, options and quoting.
        decoder = LineDecoder(maximumLineLength: context.state.config.maxRequestBytes + 65_536)
        watches = WatchFanout(store: context.state.store, loop: context.loop,
                              outputLimit: context.state.config.maxOutputBytes)
        loginThrottle = LoginThrottle(baseDelay: context.state.config.authFailureDelay)
        watches.connection = self
    }

    var isOpen: Bool { state == .open }
    var outputLimit: Int { context.state.config.maxOutputBytes }
    var pendingOutputBytes: Int { output.readableBytes }

    /// Lets the watch fanout append to the output; queues a flush.
    func withOutput(_ body: (inout ByteBuffer) -> Void) {
        body(&output)
        afterWriting()
    }

    // MARK: Events

    func readable() {
        guard state == .open, !readPaused, !loginPending else { return }
        var budget = Connection.readBudget
        var peerClosed = false
        while budget > 0 {
            let result: IOResult<Int>
            do {
                result = try socket.receive(into: context.scratch)
            } catch {
                context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
                close(reason: "read error")
                return
            }
            guard case .processed(let count) = result else { break }
            if count == 0 {
                peerClosed = true
                break
            }
            input.writeBytes(UnsafeRawBufferPointer(rebasing: context.scratch[0..<count]))
            budget -= count
            if count < context.scratch.count { break }
        }
        processInput()
        if peerClosed {
            // A partial request left in the input is dropped: the client will never finish it. Lines
            // after a pending login are still answered once it completes.
            if loginPending { closeAfterLogin = true } else { beginDrain() }
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
        while state == .open && !loginPending && output.readableBytes < outputLimit {
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
        if case .authenticate(let login) = decoded.request {
            beginLogin(login, tag: decoded.tag)
            return
        }
        context.dispatcher.dispatch(decoded.request, tag: decoded.tag, token: authToken, watches: watches, into: &output)
    }

    // MARK: Logins

    /// Hands the password check to the checker thread and parks the connection until it answers.
    private func beginLogin(_ login: AuthenticateRequest, tag: RequestTag?) {
        loginPending = true
        updateInterest()
        let handle = LoopOwned(self)
        let loop = context.loop
        context.state.passwordChecker.check(name: login.name, password: login.password, loop: loop) { result in
            let connection = handle.value
            var delay: UInt64 = 0
            if case .failure(let error) = result, error == .authenticationFailed {
                delay = connection.loginThrottle.recordFailure()
                connection.context.state.logger.warn(
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
            if let previous = authToken { context.state.store.auth.revoke(token: previous) }
            authToken = token
            ReplyEncoder.encode(AuthResponse(header: context.state.header()), kind: .authenticate, tag: tag, into: &output)
        case .failure(let error):
            ReplyEncoder.encode(WireError.auth(error), tag: tag, into: &output)
        }
        afterWriting()
        updateInterest()
        if state == .open { processInput() }
        if closeAfterLogin && !loginPending {
            closeAfterLogin = false
            beginDrain()
        }
    }

    /// After output was appended: pause reading when over the limit, and queue a flush.
    private func afterWriting() {
        let pending = output.readableBytes
        guard pending > 0 else { return }
        context.state.notePeakOutput(pending)
        if pending >= outputLimit && !readPaused {
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
        while !output.isEmpty {
            let result: IOResult<Int>
            do {
                result = try output.withUnsafeReadableBytes { (bytes) throws(PosixError) -> IOResult<Int> in
                    try socket.send(UnsafeRawBufferPointer(bytes))
                }
            } catch {
                context.state.logger.debug("client error: id=\(id) peer=\(peer): \(error)")
                close(reason: "write error")
                return
            }
            guard case .processed(let count) = result else { break }
            output.moveReaderIndex(forwardBy: count)
        }
        if readPaused && state == .open && output.readableBytes < outputLimit / 2 {
            readPaused = false
            processInput()
            watches.pump()
            if !output.isEmpty { context.markDirty(self) }
        }
        if state == .draining && output.isEmpty {
            close(reason: "drained")
            return
        }
        updateInterest()
    }

    private func updateInterest() {
        guard state != .closed else { return }
        var wanted: EpollInterest = []
        if state == .open && !readPaused && !loginPending { wanted.insert(.readable) }
        if !output.isEmpty { wanted.insert(.writable) }
        guard wanted != interest else { return }
        do {
            try context.loop.setInterest(socket.fd, wanted)
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
        watches.cancelAll()
        if let authToken { context.state.store.auth.revoke(token: authToken) }
        context.loop.deregister(socket.fd)
        try? socket.close()
        context.forget(self)
        context.state.connectionCount.subtract(1, ordering: .relaxed)
        context.state.logger.debug("client disconnected: id=\(id) peer=\(peer) (\(reason))")
    }
}
