import EtcdWire
import KVProtocol
import KVStore

/// What one of etcd's calls gets, whatever carries it (a gRPC stream, a JSON gateway request).
enum EtcdReply {
    /// A typed reply: encode it with `EtcdWire` (protobuf or JSON).
    case response(Response)
    /// One of etcd's messages our `Response` does not model: a maintenance answer, a login's token.
    case message(any EtcdMessage & Sendable)
    /// The call fails with this status (etcd's code and text).
    case status(GRPCStatus)
    /// A Snapshot call was admitted: stream this cursor's bytes.
    case snapshot(SnapshotCursor)
}

/// etcd's calls, answered for any front end: an `EtcdCall` and the client's session in, an `EtcdReply`
/// out. The front ends (`GRPCCall`, `GatewayExchange`) only turn bytes into calls and replies into bytes;
/// everything etcd decides in between lives here:
///
/// * the service call, and where its work runs: a range or transaction reading at most
///   `loopRangeEntries` index entries is produced on the loop, a larger one, a hash or a compaction
///   on the worker; a login's password check on the checker thread (`LoginGuard`);
/// * a LeaseKeepAlive renewal of an unknown (expired, revoked) lease is answered with TTL 0, not an
///   error, as etcd does;
/// * MemberList answers with a header without a revision, as etcd's cluster service does;
/// * maintenance etcd's auth layer checks (Snapshot, HashKV, Hash, Defragment) refuses a non-root
///   user with the auth package's error, `UNKNOWN` "auth: permission denied";
/// * the calls the service does not model (alarms, defragment, leader moves, membership) are
///   `EtcdMaintenance`'s.
///
/// Watch messages are not answered here: each front end keeps its watch stream (`WatchFanout`).
///
/// Loop thread only.
struct EtcdCallHandler {
    let context: LoopContext
    /// The method the call came in on (a keep-alive is a renewal only on its stream).
    let method: EtcdMethod
    let session: ClientSession
    /// The client's address, for the login throttle.
    let peer: String
    /// Whose request counter and latency series the call counts in.
    let frontEnd: FrontEnd

    /// A range walking at most this many index entries is read on the loop; larger ones on the worker.
    static let loopRangeEntries = 256

    /// Answers `call` now, or returns nil and answers later by calling `later` once, on the loop, never
    /// before returning.
    func handle(_ call: EtcdCall, later: @escaping (EtcdReply) -> Void) -> EtcdReply? {
        switch call {
        case .request(.authenticate(let login)):
            beginLogin(login, later: later)
            return nil
        case .request(.leaseKeepAlive(let id)) where method == .leaseKeepAlive:
            return keepAlive(id)
        case .request(let request):
            let started = context.metrics.started(frontEnd)
            defer { context.metrics.finished(request.kind, startedAt: started) }
            return answer(context.service.handle(request, session: session), later: later)
        case .watch:
            return .status(GRPCStatus(.internal, "watch requests are served on the Watch stream"))
        default:
            switch EtcdMaintenance.answer(call, state: context.state, session: session) {
            case .message(let message):
                return .message(message)
            case .status(let status):
                return .status(status)
            case .job(let job):
                let box = UncheckedBox(later)
                let loop = context.loop
                context.state.worker.submit {
                    let result = job()
                    loop.execute {
                        switch result {
                        case .message(let message): box.value(.message(message))
                        case .status(let status): box.value(.status(status))
                        case .job: box.value(.status(GRPCStatus(.internal, "a job answered with a job")))
                        }
                    }
                }
                return nil
            }
        }
    }

    /// The status a failure ends the call with: etcd's, and for the maintenance calls etcd checks in its
    /// auth layer (Snapshot, HashKV, Hash, Defragment) the auth package's error as etcd sends it.
    func status(for error: WireError) -> GRPCStatus {
        if case .auth(let authError) = error, EtcdMaintenance.checkedByAuthLayer.contains(method) {
            return EtcdMaintenance.authLayerStatus(authError)
        }
        return EtcdWire.status(for: error)
    }

    // MARK: Service outcomes

    private func answer(_ outcome: ServiceOutcome, later: @escaping (EtcdReply) -> Void) -> EtcdReply? {
        switch outcome {
        case .response(.snapshot) where method == .snapshot:
            guard let cursor = session.snapshot else { return .status(GRPCStatus(.internal, "snapshot cursor missing")) }
            session.snapshot = nil
            return .snapshot(cursor)
        case .response(.memberList(var list)):
            // etcd's cluster service answers with a header without a revision.
            list.header.revision = 0
            return .response(.memberList(list))
        case .response(let response):
            return .response(response)
        case .failure(let error):
            return .status(status(for: error))
        case .range(let cursor):
            if cursor.plan(maxKeys: EtcdCallHandler.loopRangeEntries) { return .response(.range(cursor.collect())) }
            let box = UncheckedBox(cursor)
            runJob({ .success(.range(box.value.collect())) }, later: later)
            return nil
        case .txn(let txn):
            if EtcdCallHandler.isSmall(txn.responses) { return .response(.txn(txn.resolved())) }
            let box = UncheckedBox(txn)
            runJob({ .success(.txn(box.value.resolved())) }, later: later)
            return nil
        case .job(let job):
            runJob(job, later: later)
            return nil
        case .watch, .unwatch, .progress:
            return .status(GRPCStatus(.internal, "watch requests are served on the Watch stream"))
        }
    }

    /// Whether every read of a transaction is small enough to produce on the loop.
    private static func isSmall(_ responses: [DeferredResponseOp]) -> Bool {
        var budget = loopRangeEntries
        var stack = responses
        while let op = stack.popLast() {
            switch op {
            case .range(let cursor):
                let before = cursor.entriesVisited
                guard cursor.plan(maxKeys: budget) else { return false }
                budget -= cursor.entriesVisited - before
                if budget <= 0 { return false }
            case .txn(let inner):
                stack.append(contentsOf: inner.responses)
            case .put, .deleteRange:
                break
            }
        }
        return true
    }

    /// Runs a long job on the worker; its reply comes back through the loop.
    private func runJob(_ job: @escaping @Sendable () -> Result<Response, WireError>, later: @escaping (EtcdReply) -> Void) {
        let box = UncheckedBox(later)
        let loop = context.loop
        let handler = UncheckedBox(self)
        context.state.worker.submit {
            let result = job()
            loop.execute {
                switch result {
                case .success(let response): box.value(.response(response))
                case .failure(let error): box.value(.status(handler.value.status(for: error)))
                }
            }
        }
    }

    // MARK: Logins and keep-alives

    private func beginLogin(_ login: AuthenticateRequest, later: @escaping (EtcdReply) -> Void) {
        let box = UncheckedBox(later)
        let state = context.state
        context.state.loginGuard.check(name: login.name, password: login.password, peer: peer, loop: context.loop) { result in
            switch result {
            case .success(let token):
                box.value(.message(EtcdAuthenticateResponse(header: state.header(), token: token)))
            case .failure(let error):
                box.value(.status(EtcdWire.status(for: WireError.auth(error))))
            }
        }
    }

    /// One renewal on a LeaseKeepAlive stream. etcd answers a renewal of an unknown (expired, revoked)
    /// lease with a TTL of 0, not an error.
    private func keepAlive(_ id: Int64) -> EtcdReply {
        let started = context.metrics.started(frontEnd)
        defer { context.metrics.finished(.leaseKeepAlive, startedAt: started) }
        switch context.service.handle(.leaseKeepAlive(id), session: session) {
        case .response(let response):
            return .response(response)
        case .failure(.store(.leaseNotFound)):
            return .response(.leaseKeepAlive(LeaseKeepAliveResponse(header: context.state.header(), id: id, ttl: 0)))
        case .failure(let error):
            return .status(status(for: error))
        default:
            return .status(GRPCStatus(.internal, "unexpected keep-alive outcome"))
        }
    }
}
