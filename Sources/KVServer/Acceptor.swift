import Glibc
import KVPosix
import KVProtocol

/// Accepts connections on one listening socket and hands each to the next event loop, round-robin.
///
/// Runs on the first loop. Accepts at most `acceptsPerWakeup` connections per wake-up. When the
/// process runs out of descriptors it stops listening for 100 ms rather than spinning on the
/// still-pending connection. Over `--max-connections`, a new connection gets one
/// `ERR TOO_MANY_CONNECTIONS` line and is closed (`ERR STOPPED` while the server shuts down).
final class Acceptor: EventHandler {
    let listener: Socket
    let address: SocketAddress
    private let contexts: [LoopContext]
    private unowned let home: LoopContext
    private var cursor = 0

    static let acceptsPerWakeup = 64

    init(listener: Socket, address: SocketAddress, contexts: [LoopContext]) {
        self.listener = listener
        self.address = address
        self.contexts = contexts
        self.home = contexts[0]
    }

    func readable() {
        let state = home.state
        for _ in 0..<Acceptor.acceptsPerWakeup {
            let accepted: IOResult<Socket>
            do {
                accepted = try listener.accept()
            } catch {
                state.logger.warn("accept on \(address) failed: \(error); pausing accepts for 100 ms")
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
            if target === home {
                target.adopt(socket, peer: peer)
            } else if !target.loop.execute({ target.adopt(socket, peer: peer) }) {
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
        let line = ReplyEncoder.line(.failure(error))
        _ = line.withUnsafeBytes { try? socket.send($0) }
        try? socket.close()
    }

    private func pause() {
        try? home.loop.setInterest(listener.fd, [])
        home.loop.scheduleOnLoop(after: 100_000_000) { [weak self] in
            guard let self else { return }
            try? self.home.loop.setInterest(self.listener.fd, .readable)
        }
    }
}
