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
/// watches (`EtcdWatchStream`), a LeaseKeepAlive stream answers each renewal, a Snapshot stream sends
/// the store chunk by chunk as the client reads (`EtcdSnapshotStream`). Work that may be long (a large
/// range or transaction, a hash, a compaction) runs on the worker and answers through the loop; a
/// login's password check runs on the checker thread.
///
/// Loop thread only.
final class GRPCCall {
    let streamID: UInt32
    let head: GRPCRequestHead
    unowned let connection: GRPCConnection
    private var reader: GRPCMessageReader
    let session: ClientSession
    private var headersSent = false
    private(set) var isFinished = false
    /// A message is being answered off the loop (a job, a login): later messages wait.
    private var waiting = false
    private var messagesSeen = 0
    private var inputClosed = false
    private var deadline: TimerID?
    private var watch: EtcdWatchStream?
    private var snapshot: EtcdSnapshotStream?

    init(streamID: UInt32, head: GRPCRequestHead, connection: GRPCConnection) {
        self.streamID = streamID
        self.head = head
        self.connection = connection
        session = ClientSession(transport: connection.transport)
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
            watch = EtcdWatchStream(output: self, context: connection.context, coalescesEvents: true)
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

    private var handler: EtcdCallHandler {
        EtcdCallHandler(context: context, method: head.method, session: session, peer: connection.peer, frontEnd: .http2)
    }

    private func handle(_ decoded: EtcdCall) {
        switch decoded {
        case .watch(let watchRequest):
            watch?.handle(watchRequest)
        case .request where head.method == .watch:
            return
        default:
            waiting = true
            let handle = LoopOwned(self)
            let reply = handler.handle(decoded) { reply in
                let call = handle.value
                call.waiting = false
                guard !call.isFinished else { return }
                call.deliver(reply)
                call.processMessages()
            }
            if let reply {
                waiting = false
                deliver(reply)
            }
        }
    }

    /// Sends what a call got: a message (a unary call then ends with OK), a status, or a snapshot stream.
    private func deliver(_ reply: EtcdReply) {
        switch reply {
        case .response(let response):
            self.reply(response)
        case .message(let message):
            send(message)
            if head.method.isUnary { finish(GRPCStatus(.ok, "")) }
        case .status(let status):
            finish(status)
        case .snapshot(let cursor):
            snapshot = EtcdSnapshotStream(output: self, context: context, cursor: cursor)
            snapshot?.produce()
        }
    }

    /// The status a failure ends this call with (see `EtcdCallHandler.status(for:)`).
    func status(for error: WireError) -> GRPCStatus { handler.status(for: error) }

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

    /// The Snapshot stream sent its last message.
    func snapshotFinished() {
        snapshot = nil
        finish(GRPCStatus(.ok, ""))
    }
}

/// A gRPC Watch stream writes `WatchResponse` messages on its call.
extension GRPCCall: EtcdSnapshotOutput {
    func sendSnapshotMessage(_ message: EtcdSnapshotResponse) { send(message) }
}

extension GRPCCall: EtcdWatchOutput {
    func sendWatchMessage<Message: EtcdMessage>(_ message: Message) { send(message) }
    func endWatchStream(_ status: GRPCStatus) { finish(status) }
}
