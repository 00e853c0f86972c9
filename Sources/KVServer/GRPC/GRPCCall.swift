import EtcdWire
import HPACK
import HTTP2
import KVPosix
import KVProtocol
import KVStore

/// One gRPC call: an HTTP/2 stream carrying one of etcd's methods. It cuts the stream's DATA into
/// messages, decodes each into a typed request (`EtcdWire`), hands it to the `Service` with its session
/// (the token of this call's metadata), and sends the result back as messages and a status.
///
/// Unary calls answer their one message; the streams do what etcd's do: a Watch stream holds several
/// watches (`GRPCWatchStream`), a LeaseKeepAlive stream answers each renewal, a Snapshot stream sends
/// the store chunk by chunk as the client reads (`GRPCSnapshotStream`). Work that may be long (a large
/// range or transaction, a hash, a compaction) runs on the worker and answers through the loop; a
/// login's password check runs on the checker thread.
///
/// Loop thread only.
final class GRPCCall {
    let streamID: UInt32
    let head: GRPCRequestHead
    unowned let connection: GRPCConnection
    private var reader: GRPCMessageReader
    let session = ClientSession()
    private var headersSent = false
    private(set) var isFinished = false
    /// A message is being answered off the loop (a job, a login): later messages wait.
    private var waiting = false
    private var messagesSeen = 0
    private var inputClosed = false
    private var deadline: TimerID?
    private var watch: GRPCWatchStream?
    private var snapshot: GRPCSnapshotStream?

    /// A range walking at most this many index entries is read on the loop; larger ones on the worker.
    static let loopRangeEntries = 256

    init(streamID: UInt32, head: GRPCRequestHead, connection: GRPCConnection) {
        self.streamID = streamID
        self.head = head
        self.connection = connection
        // etcd lets gRPC messages be the request limit plus 512 KiB of overhead (its grpcOverheadBytes);
        // the service then checks the request's own size against the limit, with etcd's error.
        reader = GRPCMessageReader(maxMessageBytes: connection.context.state.config.maxRequestBytes + 512 * 1024)
        session.authToken = head.token
    }

    private var context: LoopContext { connection.context }

    /// Whether the call waits for the connection's output to drain before producing more.
    var isWaitingForRoom: Bool { (snapshot?.isWaitingForRoom ?? false) || (watch?.isWaitingForRoom ?? false) }

    func start() {
        if let timeout = head.timeout {
            let handle = LoopOwned(self)
            deadline = context.loop.scheduleOnLoop(after: timeout) {
                let call = handle.value
                call.deadline = nil
                guard !call.isFinished else { return }
                call.finish(GRPCStatus(.deadlineExceeded, "context deadline exceeded"))
            }
        }
        switch head.method {
        case .watch:
            watch = GRPCWatchStream(call: self)
        default:
            break
        }
    }

    // MARK: Input

    func received(_ bytes: some Collection<UInt8>) {
        guard !isFinished else { return }
        reader.append(bytes)
        processMessages()
    }

    private func processMessages() {
        while !isFinished && !waiting {
            let message: ArraySlice<UInt8>
            do {
                guard let next = try reader.next() else { break }
                message = next
            } catch {
                let status = error.status
                finish(GRPCStatus(GRPCStatus.Code(rawValue: status.code), status.message))
                return
            }
            messagesSeen += 1
            if head.method.isUnary || head.method == .snapshot, messagesSeen > 1 {
                finish(GRPCStatus(.internal, "grpc: too many request messages for a unary call"))
                return
            }
            let method = head.method
            let decoded = message.withUnsafeBytes { bytes -> Result<EtcdCall, EtcdWireError> in
                do throws(EtcdWireError) { return .success(try EtcdWire.decodeRequest(method, bytes)) }
                catch { return .failure(error) }
            }
            switch decoded {
            case .success(let call): handle(call)
            case .failure(let error):
                finish(EtcdWire.status(for: error))
                return
            }
        }
        if inputClosed && !waiting && !isFinished { inputEndedAfterMessages() }
    }

    /// The client closed its side of the stream.
    func inputEnded() {
        inputClosed = true
        if !waiting && !isFinished { inputEndedAfterMessages() }
    }

    private func inputEndedAfterMessages() {
        if head.method.isUnary || head.method == .snapshot {
            if messagesSeen == 0 {
                finish(GRPCStatus(.internal, "grpc: the client sent no request message"))
            }
        } else if head.method == .leaseKeepAlive || head.method == .watch {
            // etcd ends these streams with OK once the client stops sending (after what is pending).
            finish(GRPCStatus(.ok, ""))
        }
    }

    /// The peer reset the stream or the connection is closing: stop everything, send nothing.
    func cancel() {
        isFinished = true
        stopTimer()
        watch?.cancelAll()
        watch = nil
        snapshot = nil
    }

    /// The server is stopping: streams that never end by themselves end now, with etcd's status.
    func drain() {
        guard !isFinished else { return }
        if head.method == .watch || head.method == .leaseKeepAlive {
            finish(GRPCStatus(.unavailable, "etcdserver: server stopped"))
        }
    }

    /// The connection's output drained or the stream's flow-control window opened.
    func resume() {
        guard !isFinished else { return }
        snapshot?.produce()
        watch?.pump()
    }

    // MARK: Requests

    private func handle(_ decoded: EtcdCall) {
        switch decoded {
        case .request(.authenticate(let login)):
            beginLogin(login)
        case .request(.leaseKeepAlive(let id)) where head.method == .leaseKeepAlive:
            keepAlive(id)
        case .request(let request):
            if head.method == .watch { return }
            let started = context.metrics.started(.http2)
            let outcome = context.service.handle(request, session: session)
            if head.method == .snapshot {
                startSnapshot(outcome)
            } else {
                answer(outcome)
            }
            context.metrics.finished(request.kind, startedAt: started)
        case .watch(let watchRequest):
            watch?.handle(watchRequest)
        default:
            switch GRPCMaintenance.answer(decoded, state: context.state, session: session) {
            case .message(let message):
                send(message)
                finish(GRPCStatus(.ok, ""))
            case .status(let status):
                finish(status)
            case .job(let job):
                waiting = true
                let handle = LoopOwned(self)
                let loop = context.loop
                context.state.worker.submit {
                    let result = job()
                    loop.execute { handle.value.finishMaintenance(result) }
                }
            }
        }
    }

    private func finishMaintenance(_ answer: GRPCMaintenance.Answer) {
        waiting = false
        guard !isFinished else { return }
        switch answer {
        case .message(let message):
            send(message)
            finish(GRPCStatus(.ok, ""))
        case .status(let status):
            finish(status)
        case .job:
            finish(GRPCStatus(.internal, "a job answered with a job"))
        }
        processMessages()
    }

    /// One renewal on a LeaseKeepAlive stream: answered with a message, the stream stays open. etcd
    /// answers a renewal of an unknown (expired, revoked) lease with a TTL of 0, not an error.
    private func keepAlive(_ id: Int64) {
        let started = context.metrics.started(.http2)
        switch context.service.handle(.leaseKeepAlive(id), session: session) {
        case .response(let response):
            reply(response)
        case .failure(.store(.leaseNotFound)):
            reply(.leaseKeepAlive(LeaseKeepAliveResponse(header: context.state.header(), id: id, ttl: 0)))
        case .failure(let error):
            finish(status(for: error))
        default:
            finish(GRPCStatus(.internal, "unexpected keep-alive outcome"))
        }
        context.metrics.finished(.leaseKeepAlive, startedAt: started)
    }

    /// Sends what the service made of a request: a message and OK, or an error status.
    private func answer(_ outcome: ServiceOutcome) {
        switch outcome {
        case .response(.memberList(var list)):
            // etcd's cluster service answers with a header without a revision.
            list.header.revision = 0
            reply(.memberList(list))
        case .response(let response):
            reply(response)
        case .failure(let error):
            finish(status(for: error))
        case .range(let cursor):
            if cursor.plan(maxKeys: GRPCCall.loopRangeEntries) {
                reply(.range(cursor.collect()))
            } else {
                let box = UncheckedBox(cursor)
                runJob { .success(.range(box.value.collect())) }
            }
        case .txn(let txn):
            if GRPCCall.isSmall(txn.responses) {
                reply(.txn(txn.resolved()))
            } else {
                let box = UncheckedBox(txn)
                runJob { .success(.txn(box.value.resolved())) }
            }
        case .job(let job):
            runJob(job)
        case .watch, .unwatch, .progress:
            finish(GRPCStatus(.internal, "watch requests are served on the Watch stream"))
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

    /// Runs a long job on the worker; its reply is sent from the loop, and later messages wait for it.
    private func runJob(_ job: @escaping @Sendable () -> Result<Response, WireError>) {
        waiting = true
        let handle = LoopOwned(self)
        let loop = context.loop
        context.state.worker.submit {
            let result = job()
            loop.execute {
                let call = handle.value
                call.waiting = false
                guard !call.isFinished else { return }
                switch result {
                case .success(let response): call.reply(response)
                case .failure(let error): call.finish(call.status(for: error))
                }
                call.processMessages()
            }
        }
    }

    private func beginLogin(_ login: AuthenticateRequest) {
        waiting = true
        let handle = LoopOwned(self)
        let loop = context.loop
        context.state.loginGuard.check(name: login.name, password: login.password, peer: connection.peer, loop: loop) { result in
            let call = handle.value
            call.waiting = false
            guard !call.isFinished else { return }
            switch result {
            case .success(let token):
                call.send(EtcdAuthenticateResponse(header: call.context.state.header(), token: token))
                call.finish(GRPCStatus(.ok, ""))
            case .failure(let error):
                call.finish(EtcdWire.status(for: WireError.auth(error)))
            }
        }
    }

    /// The status a failure ends this call with: etcd's, and for the maintenance calls etcd checks in its
    /// auth layer (Snapshot, HashKV, Hash, Defragment) the auth package's error as etcd sends it.
    func status(for error: WireError) -> GRPCStatus {
        if case .auth(let authError) = error, GRPCMaintenance.checkedByAuthLayer.contains(head.method) {
            return GRPCMaintenance.authLayerStatus(authError)
        }
        return EtcdWire.status(for: error)
    }

    // MARK: Output

    /// Sends one response message; a unary call then ends with OK.
    func reply(_ response: Response) {
        guard let size = EtcdWire.responseSize(response) else {
            finish(GRPCStatus(.internal, "no etcd message for the reply \(response)"))
            return
        }
        var framed: [UInt8] = []
        framed.reserveCapacity(5 + size)
        GRPCMessageReader.writePrefix(length: size, into: &framed)
        _ = EtcdWire.appendResponse(response, to: &framed)
        sendFramed(framed)
        if head.method.isUnary { finish(GRPCStatus(.ok, "")) }
    }

    /// Sends one message of the call's stream.
    func send(_ message: some EtcdMessage) {
        let size = message.encodedSize
        var framed: [UInt8] = []
        framed.reserveCapacity(5 + size)
        GRPCMessageReader.writePrefix(length: size, into: &framed)
        message.append(to: &framed)
        sendFramed(framed)
    }

    private func sendFramed(_ framed: [UInt8]) {
        guard !isFinished else { return }
        if !headersSent {
            headersSent = true
            connection.sendHeaders(streamID, GRPCConnection.responseHeaders, endStream: false)
        }
        connection.sendMessage(streamID, framed)
    }

    /// Ends the call with `status` (trailers, or a trailers-only response).
    func finish(_ status: GRPCStatus) {
        guard !isFinished else { return }
        isFinished = true
        stopTimer()
        watch?.cancelAll()
        watch = nil
        snapshot = nil
        connection.finish(streamID, code: status.code.rawValue, message: status.message, headersSent: headersSent)
    }

    private func stopTimer() {
        if let deadline { context.loop.cancelOnLoop(deadline) }
        deadline = nil
    }

    /// Pending bytes of this stream (the connection's output and what HTTP/2 still holds for it).
    var pendingBytes: Int { connection.pendingBytes(stream: streamID) }
    var hasRoom: Bool { connection.hasRoom(stream: streamID) }

    // MARK: Snapshot

    private func startSnapshot(_ outcome: ServiceOutcome) {
        switch outcome {
        case .response(.snapshot):
            guard let cursor = session.snapshot else {
                finish(GRPCStatus(.internal, "snapshot cursor missing"))
                return
            }
            session.snapshot = nil
            snapshot = GRPCSnapshotStream(call: self, cursor: cursor, estimatedBytes: context.state.store.sizeInBytes)
            snapshot?.produce()
        case .failure(let error):
            finish(status(for: error))
        default:
            finish(GRPCStatus(.internal, "unexpected snapshot outcome"))
        }
    }

    /// The Snapshot stream sent its last message.
    func snapshotFinished() {
        snapshot = nil
        finish(GRPCStatus(.ok, ""))
    }
}

/// Moves a value that is used by one thread at a time (handed to the worker and not touched by the loop
/// meanwhile) across the `Sendable` boundary.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
