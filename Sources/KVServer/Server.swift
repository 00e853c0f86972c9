import Glibc
import KVPosix
import KVProtocol
import KVStore
import KVWAL

/// The server: a store, a small fixed set of event loops, listening sockets accepted on the first loop,
/// and the periodic jobs (lease expiry, alarm check, the failed-login summary, progress notifications,
/// auto-compaction).
///
///     let server = Server(config: config, logger: logger)
///     let addresses = try server.start()     // bound addresses (port 0 becomes the real port)
///     …
///     server.stop()                          // stop accepting, flush replies (bounded), join loops
final class Server: @unchecked Sendable {
    // @unchecked: `start` and `stop` are called from one controlling thread; everything the loops use
    // is in `ServerState` (Sendable) or confined to a loop (`LoopContext`).
    let state: ServerState
    private var loops: [EventLoop] = []
    private var contexts: [LoopContext] = []
    private(set) var addresses: [SocketAddress] = []
    private var started = false
    private var stopped = false

    /// Lease expiry runs this often (etcd checks every 500 ms).
    static let leaseExpiryInterval: UInt64 = 500_000_000
    /// How long `stop` waits for replies to be flushed before closing connections anyway.
    static let shutdownFlushTimeout: UInt64 = 2_000_000_000

    /// - Parameter store: a store loaded from the data dir; a fresh one when nil.
    /// - Parameter writeAheadLog: the data dir's log, attached to `store` (started by the caller).
    init(config: ServerConfig, clock: any StoreClock = SystemClock(), logger: Logger, store: Store? = nil,
         writeAheadLog: WriteAheadLog? = nil) {
        state = ServerState(config: config, clock: clock, logger: logger, store: store, writeAheadLog: writeAheadLog)
    }

    var store: Store { state.store }

    /// Opens the listening sockets and starts the loops. Returns the bound addresses, in the order of
    /// `--listen-client-urls`.
    func start() throws -> [SocketAddress] {
        precondition(!started, "Server.start() called twice")
        started = true
        let config = state.config
        let logger = state.logger
        logger.info("starting kvserver \(Version.server) (etcd API \(Version.etcdCompatible)): name=\(config.name) member-id=\(String(state.identity.memberID, radix: 16)) cluster-id=\(String(state.identity.clusterID, radix: 16))")
        if config.dataDir == nil {
            logger.info("no --data-dir: the store is in memory only and is lost when the server stops")
        }

        // TLS files are loaded (and checked) before any port is opened.
        var tls: TLSServerContext?
        if !config.tlsListenURLs.isEmpty, let certFile = config.certFile, let keyFile = config.keyFile {
            if config.autoTLS { logger.warn("ignoring client auto TLS since certs given") }
            tls = try TLSServerContext(certFile: certFile, keyFile: keyFile, trustedCAFile: config.trustedCAFile,
                                       clientCertAuth: config.clientCertAuth, clientCRLFile: config.clientCRLFile,
                                       clientCertAllowedHostname: config.clientCertAllowedHostname,
                                       cipherSuites: config.cipherSuites, log: TLSServerContext.logging(to: logger))
        } else if !config.tlsListenURLs.isEmpty, config.autoTLS {
            tls = try AutoTLS.context(config: config, logger: logger)
        }
        var listeners: [(Socket, SocketAddress, TLSServerContext?)] = []
        do {
            for url in config.listenClientURLs {
                let clientURL = ClientURL(url)
                let address = try SocketAddress(parsing: clientURL.address)
                do {
                    let socket = try Socket.listen(on: address)
                    listeners.append((socket, try socket.localAddress(), clientURL.isTLS ? tls : nil))
                } catch {
                    throw ListenError(address: address.description, underlying: "\(error)")
                }
            }
        } catch {
            for (socket, _, _) in listeners { try? socket.close() }
            throw error
        }
        addresses = listeners.map(\.1)

        for index in 0..<config.effectiveEventLoops {
            let loop = try EventLoop(configuration: .init(name: "kv-loop-\(index)"))
            let context = LoopContext(loop: loop, state: state)
            context.install()
            loops.append(loop)
            contexts.append(context)
        }
        for loop in loops { try loop.start() }

        let home = contexts[0]
        let contexts = self.contexts
        let state = self.state
        for (socket, address, tls) in listeners {
            home.loop.execute {
                let acceptor = Acceptor(listener: socket, address: address, contexts: contexts, tls: tls)
                do {
                    try home.loop.register(socket.fd, interest: .readable, handler: acceptor)
                    home.acceptors.append(acceptor)
                    logger.info("serving client requests on \(address)\(tls == nil ? "" : " (TLS: \(tls!.origin)\(tls!.verifiesClients ? ", client certificates required" : ""))")")
                } catch {
                    logger.error("cannot listen on \(address): \(error)")
                    try? socket.close()
                }
            }
        }
        // etcd's readiness lines (tools and scripts wait for them), once every listener accepts.
        let identity = state.identity
        home.loop.execute {
            let clientURLs = identity.member.clientURLs.joined(separator: " ")
            logger.info("published {Name:\(config.name) ClientURLs:[\(clientURLs)]} to cluster \(String(identity.clusterID, radix: 16))")
            logger.info("ready to serve client requests")
        }
        home.loop.execute {
            // Lease expiry and auto-compaction may touch many keys: the loop only starts them on the worker.
            let expiryGate = Worker.Gate()
            home.loop.scheduleOnLoop(after: Server.leaseExpiryInterval, every: Server.leaseExpiryInterval) {
                state.worker.submit(through: expiryGate) {
                    let expired = state.store.expireLeases()
                    if expired > 0 { logger.debug("expired \(expired) lease(s)") }
                    state.refreshAlarm()
                }
            }
            home.loop.scheduleOnLoop(after: 1_000_000_000, every: 1_000_000_000) { state.loginGuard.flushLog() }
            home.loop.scheduleOnLoop(after: config.progressNotifyInterval, every: config.progressNotifyInterval) {
                state.store.progressNotify()
            }
            if config.autoCompactionRetention > 0 {
                let compactor = AutoCompactor(mode: config.autoCompactionMode, retention: config.autoCompactionRetention,
                                              state: state)
                let compactionGate = Worker.Gate()
                home.loop.scheduleOnLoop(after: compactor.interval, every: compactor.interval) {
                    state.worker.submit(through: compactionGate) { compactor.tick() }
                }
            }
        }
        return addresses
    }

    /// Stops accepting, stops reading requests, flushes the replies already produced (waiting at most
    /// `shutdownFlushTimeout`), then stops the loops. Idempotent.
    func stop() {
        guard started, !stopped else { return }
        stopped = true
        state.logger.info("shutting down: closing listeners, flushing replies to \(state.connectionCount.load(ordering: .relaxed)) connection(s)")
        for context in contexts {
            context.loop.execute { context.beginShutdown() }
        }
        let deadline = Posix.monotonicNanoseconds() &+ Server.shutdownFlushTimeout
        while state.connectionCount.load(ordering: .relaxed) > 0 && Posix.monotonicNanoseconds() < deadline {
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
        }
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
        state.logger.info("server stopped serving")
    }
}

/// A client URL that could not be listened on, naming it: `listen tcp 127.0.0.1:2379: bind: address
/// already in use`.
struct ListenError: Error, CustomStringConvertible {
    let address: String
    let underlying: String
    var description: String { "listen tcp \(address): \(underlying)" }
}
