import KVPosix
import KVProtocol

/// Per-event-loop server state: the connections the loop owns, the scratch buffer reads land in,
/// and the list of connections with output to flush before the loop sleeps (Redis's `beforeSleep`).
///
/// Loop thread only. `@unchecked Sendable` so that tasks for the loop can carry it; they only touch it
/// on the loop thread.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    let state: ServerState
    let service: Service
    /// This loop's counters (connections, requests, latencies), summed by `/metrics`.
    let metrics = LoopMetrics()
    /// Where `recv` writes; copied into the connection's input buffer.
    let scratch: UnsafeMutableRawBufferPointer
    private var connections: [ObjectIdentifier: any ClientPortConnection] = [:]
    private var dirty: [any ClientPortConnection] = []
    /// The listening sockets this loop accepts on (the first loop only).
    var acceptors: [Acceptor] = []
    private(set) var isShuttingDown = false
    /// With a data dir (`--wal-sync always` or `interval`): the gate replies wait at, this loop's waiting
    /// transports, and its wake-up.
    let durabilityGate: DurabilityGate?
    private var waitingForLog: [ClientTransport] = []
    private var logRelease: LoopRelease?

    static let scratchSize = 64 * 1024

    init(loop: EventLoop, state: ServerState) {
        self.loop = loop
        self.state = state
        self.service = Service(state: state)
        scratch = .allocate(byteCount: LoopContext.scratchSize, alignment: 16)
        durabilityGate = state.durabilityGate
        state.metrics.register(metrics)
        if let durabilityGate {
            let release = LoopRelease(loop: loop) { [unowned self] in releaseHeldOutput() }
            logRelease = release
            durabilityGate.register(release)
        }
    }

    deinit { scratch.deallocate() }

    /// Installs the hooks; call before the loop starts.
    func install() {
        loop.beforeSleep = { [unowned self] in flushDirty() }
        loop.onStop = { [unowned self] in closeAll() }
    }

    /// Takes ownership of an accepted socket; over TLS (`tls`: its listener's context) the handshake
    /// comes first, then its ALPN protocol or its first bytes decide which front end serves it
    /// (`SniffingConnection`). Loop thread only.
    func adopt(_ socket: Socket, peer: String, tls: TLSServerContext? = nil) {
        var session: TLSSession?
        if let tls {
            session = tls.makeSession(for: socket)
            if session == nil {
                state.logger.warn("cannot start TLS for client connection \(peer): out of memory")
                try? socket.close()
                state.connectionCount.subtract(1, ordering: .relaxed)
                return
            }
        }
        let transport = ClientTransport(socket: socket, tls: session, durability: durabilityGate == nil ? nil : self)
        let sniffer = SniffingConnection(transport: transport, context: self, peer: peer)
        guard register(sniffer, transport: transport, peer: peer) else { return }
        connections[ObjectIdentifier(sniffer)] = sniffer
        metrics.opened(.sniffing)
        state.logger.debug("client connected: peer=\(peer)\(tls == nil ? "" : " tls")")
        sniffer.start()
        if isShuttingDown { sniffer.beginDrain() }
    }

    /// Gives `transport` from `old` to `new` (the sniffer to the front end it chose, or a front end to the
    /// `FarewellConnection` closing it) and starts `new` on the bytes it was handed.
    func handOff(from old: any ClientPortConnection, to new: any ClientPortConnection, transport: ClientTransport) {
        connections.removeValue(forKey: ObjectIdentifier(old))
        if old.isQueuedForFlush { dirty.removeAll { $0 === old } }
        guard register(new, transport: transport, peer: "") else {
            metrics.closed(old.frontEnd)
            return
        }
        connections[ObjectIdentifier(new)] = new
        if new.frontEnd != old.frontEnd {
            metrics.closed(old.frontEnd)
            metrics.opened(new.frontEnd)
        }
        new.start()
        if isShuttingDown { new.beginDrain() }
    }

    private func register(_ connection: any ClientPortConnection, transport: ClientTransport, peer: String) -> Bool {
        transport.owner = connection
        do {
            try loop.register(transport.fd, interest: .readable, handler: connection)
            return true
        } catch {
            state.logger.warn("cannot register client connection \(peer): \(error)")
            try? transport.close()
            state.connectionCount.subtract(1, ordering: .relaxed)
            return false
        }
    }

    func forget(_ connection: any ClientPortConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil { metrics.closed(connection.frontEnd) }
    }

    /// `transport` has output waiting for log record `index` to be durable: flush its connection once it is.
    func holdUntilDurable(_ transport: ClientTransport, index: UInt64) {
        guard let durabilityGate, let logRelease else { return }
        if !transport.isWaitingForLog {
            transport.isWaitingForLog = true
            waitingForLog.append(transport)
        }
        logRelease.markWaiting()
        // A sync that finished before the mark would not wake this loop: look now.
        if durabilityGate.durableIndexAfterMarking >= index { logRelease.wakeIfWaiting() }
    }

    /// The log synced (a task from its writer thread): flush every connection that waited for it; those
    /// still waiting for a later record wait again.
    private func releaseHeldOutput() {
        let waiting = waitingForLog
        waitingForLog.removeAll(keepingCapacity: true)
        for transport in waiting {
            transport.isWaitingForLog = false
            if let owner = transport.owner { markDirty(owner) }
        }
        flushDirty()
    }

    /// Queues `connection` for a flush before the loop next sleeps.
    func markDirty(_ connection: any ClientPortConnection) {
        guard !connection.isQueuedForFlush else { return }
        connection.isQueuedForFlush = true
        dirty.append(connection)
    }

    /// Flushes every queued connection; a flush may queue more work (a paused connection resumes and
    /// answers buffered requests), so this repeats a bounded number of times.
    func flushDirty() {
        var rounds = 0
        while !dirty.isEmpty && rounds < 4 {
            let batch = dirty
            dirty.removeAll(keepingCapacity: true)
            for connection in batch {
                connection.isQueuedForFlush = false
                connection.flush()
            }
            rounds += 1
        }
    }

    /// Stops reading from every connection; each closes once its replies are flushed.
    func beginShutdown() {
        isShuttingDown = true
        for acceptor in acceptors {
            loop.deregister(acceptor.listener.fd)
            try? acceptor.listener.close()
        }
        acceptors.removeAll()
        for connection in Array(connections.values) { connection.beginDrain() }
    }

    private func closeAll() {
        for acceptor in acceptors { try? acceptor.listener.close() }
        acceptors.removeAll()
        for connection in Array(connections.values) { connection.close(reason: "server stopped") }
        connections.removeAll()
        dirty.removeAll()
    }

    var connectionCount: Int { connections.count }
}
