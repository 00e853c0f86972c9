import Glibc
import KVPosix
import KVProtocol

/// Accepts connections on one listening socket and hands each to the next event loop, round-robin.
///
/// Runs on the first loop. Accepts at most `acceptsPerWakeup` connections per wake-up. Over
/// `--max-connections`, a new connection gets one `ERR TOO_MANY_CONNECTIONS` line and is closed
/// (`ERR STOPPED` while the server shuts down); on a TLS listener it is closed before any handshake.
///
/// Out of descriptors (`EMFILE`, `ENFILE`), a pending connection is not left unanswered in the backlog:
/// the acceptor frees the spare descriptor it keeps, accepts the connection with it, answers
/// `ERR TOO_MANY_CONNECTIONS "kvserver: out of file descriptors …"`, closes it and takes the spare back,
/// so clients learn why at once and the listening socket stops being readable. Only when that fails too
/// (the spare was taken meanwhile) does it stop accepting for 100 ms. Either is logged at most once per
/// `logInterval`, with a count.
final class Acceptor: EventHandler {
    let listener: Socket
    let address: SocketAddress
    /// The listener's TLS context (an `https://` URL), nil for plaintext.
    let tls: TLSServerContext?
    private let contexts: [LoopContext]
    private unowned let home: LoopContext
    private var cursor = 0
    private let spare = SpareDescriptor()
    private var refusals: IntervalTally
    private var failures: IntervalTally
    private var lastFailure: PosixError?
    private var flushQueued = false

    static let acceptsPerWakeup = 64
    /// At most one log line per this interval about refused connections, and one about failed accepts.
    static let logInterval: UInt64 = 10_000_000_000

    init(listener: Socket, address: SocketAddress, contexts: [LoopContext], tls: TLSServerContext? = nil) {
        self.listener = listener
        self.address = address
        self.tls = tls
        self.contexts = contexts
        self.home = contexts[0]
        refusals = IntervalTally(interval: Acceptor.logInterval)
        failures = IntervalTally(interval: Acceptor.logInterval)
    }

    func readable() {
        let state = home.state
        for _ in 0..<Acceptor.acceptsPerWakeup {
            let accepted: IOResult<Socket>
            do {
                accepted = try listener.accept()
            } catch let error where error.code == EMFILE || error.code == ENFILE {
                switch shedWithSpare() {
                case .refused: continue
                case .nothingPending: return
                case .noSpare: break
                }
                noteFailure(error)
                pause()
                return
            } catch {
                noteFailure(error)
                pause()
                return
            }
            guard case .processed(let socket) = accepted else { return }
            let peer = (try? socket.peerAddress().description) ?? "unknown"
            let limit = state.config.maxConnections
            if home.isShuttingDown || (limit > 0 && state.connectionCount.load(ordering: .relaxed) >= limit) {
                refuse(socket, peer: peer, limit: limit)
                continue
            }
            state.connectionCount.add(1, ordering: .relaxed)
            try? socket.setNoDelay(true)
            let target = contexts[cursor % contexts.count]
            cursor &+= 1
            let tls = self.tls
            if target === home {
                target.adopt(socket, peer: peer, tls: tls)
            } else if !target.loop.execute({ target.adopt(socket, peer: peer, tls: tls) }) {
                try? socket.close()
                state.connectionCount.subtract(1, ordering: .relaxed)
            }
        }
    }

    func hangup() {}

    private func refuse(_ socket: Socket, peer: String, limit: Int) {
        let error: WireError = home.isShuttingDown
            ? .stopped : .tooManyConnections("kvserver: too many client connections (--max-connections \(limit))")
        home.state.logger.warn("refused client connection from \(peer): \(error.message)")
        // A TLS client would read a plaintext line as garbage in its handshake: the connection is closed
        // before any handshake instead (the log above says why).
        if tls == nil {
            let line = ReplyEncoder.line(.failure(error))
            _ = line.withUnsafeBytes { try? socket.send($0) }
        }
        try? socket.close()
    }

    private enum Shedding { case refused, nothingPending, noSpare }

    /// Out of descriptors: accepts the pending connection on the spare's descriptor, tells the client
    /// and closes it, then takes the spare back.
    private func shedWithSpare() -> Shedding {
        guard spare.release() else { return .noSpare }
        defer { _ = spare.reacquire() }
        let accepted: IOResult<Socket>
        do {
            accepted = try listener.accept()
        } catch {
            return .noSpare
        }
        guard case .processed(let socket) = accepted else { return .nothingPending }
        let limit = (try? DescriptorLimit.current().soft).map { " (limit \($0))" } ?? ""
        if tls == nil {
            let error = WireError.tooManyConnections("kvserver: out of file descriptors\(limit); try again later")
            let line = ReplyEncoder.line(.failure(error))
            _ = line.withUnsafeBytes { try? socket.send($0) }
        }
        try? socket.close()
        let now = Posix.monotonicNanoseconds()
        if let count = refusals.record(now: now) { logRefusals(count, limit: limit) }
        queueFlush()
        return .refused
    }

    private func noteFailure(_ error: PosixError) {
        lastFailure = error
        if let count = failures.record(now: Posix.monotonicNanoseconds()) { logFailures(count, error: error) }
        queueFlush()
    }

    private func logRefusals(_ count: Int, limit: String) {
        home.state.logger.warn("out of file descriptors\(limit): refused \(count) new client connection(s) with TOO_MANY_CONNECTIONS\(count > 1 ? " in the last \(Acceptor.logInterval / 1_000_000_000) s" : "")")
    }

    private func logFailures(_ count: Int, error: PosixError) {
        home.state.logger.warn("accept on \(address) failed: \(error); accepts paused for 100 ms\(count > 1 ? " (\(count) times in the last \(Acceptor.logInterval / 1_000_000_000) s)" : "")")
    }

    /// Reports the held counts once their interval has passed, so the last burst is logged too.
    private func queueFlush() {
        guard !flushQueued, let deadline = [refusals.flushDeadline, failures.flushDeadline].compactMap({ $0 }).min() else { return }
        flushQueued = true
        let now = Posix.monotonicNanoseconds()
        home.loop.scheduleOnLoop(after: deadline > now ? deadline - now : 0) { [weak self] in
            guard let self else { return }
            self.flushQueued = false
            let now = Posix.monotonicNanoseconds()
            if let count = self.refusals.flush(now: now) {
                let limit = (try? DescriptorLimit.current().soft).map { " (limit \($0))" } ?? ""
                self.logRefusals(count, limit: limit)
            }
            if let count = self.failures.flush(now: now), let error = self.lastFailure {
                self.logFailures(count, error: error)
            }
            self.queueFlush()
        }
    }

    private func pause() {
        try? home.loop.setInterest(listener.fd, [])
        home.loop.scheduleOnLoop(after: 100_000_000) { [weak self] in
            guard let self else { return }
            try? self.home.loop.setInterest(self.listener.fd, .readable)
        }
    }
}
