import EtcdWire
import KVProtocol
import KVStore

/// One request to etcd's JSON gateway (`POST /v3/kv/range`, `/v3/watch`, …) and its answer: the JSON
/// body decoded into an `EtcdCall`, answered by `EtcdCallHandler` like any gRPC call, the reply written
/// as etcd 3.4's gateway writes it (grpc-gateway v1 with jsonpb):
///
/// * a unary call: 200 and the reply's JSON, or the HTTP status grpc-gateway maps from the gRPC code
///   (`httpStatus(for:)`) and `{"error":"…","message":"…","code":N}`; a body that is not JSON of the
///   request is 400, code 3, with Go's text;
/// * LeaseKeepAlive and Watch: every JSON value of the body is one request message; each answer is a
///   chunk `{"result":{…}}` and a newline. LeaseKeepAlive ends once the body's requests are answered;
///   Watch goes on for as long as the client keeps the connection, its watchers writing only while the
///   connection's unsent output is under `--max-output-bytes` (a stalled reader costs no more, and its
///   watchers catch up from history once it reads again). A first request that cannot be decoded is
///   answered 500 with code 2 (grpc-gateway's answer); a later one ends the reading of requests;
/// * Snapshot: the store in `{"result":{"blob":…}}` chunks as the client reads (`EtcdSnapshotStream`);
/// * an error on a stream is grpc-gateway's stream error, `{"error":{"grpc_code":N,"http_code":N,
///   "message":"…","http_status":"…"}}`, with that HTTP status when nothing was sent yet.
///
/// The auth token is the `Authorization` header's value as is (etcd's gateway passes it on as the
/// `authorization` metadata; `Bearer …` is not understood, as on etcd), or `Grpc-Metadata-Token`.
///
/// Loop thread only.
final class GatewayExchange {
    unowned let transport: any GatewayTransport
    let method: EtcdMethod
    let request: HTTPRequest
    let session: ClientSession
    private(set) var isFinished = false
    /// The response head is written (a stream has begun).
    private var streaming = false
    /// A call is being answered off the loop: the stream's next request waits.
    private var waiting = false
    /// The stream's requests still to read (nil once read, or for a unary call).
    private var parser: JSONParser?
    private var requestsRead = 0
    private var watch: EtcdWatchStream?
    private var snapshot: EtcdSnapshotStream?

    /// The headers etcd's client port adds to every answer (its CORS wrapper).
    static let corsHeaders: [(name: String, value: String)] = [
        ("Access-Control-Allow-Headers", "accept, content-type, authorization"),
        ("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE"),
        ("Access-Control-Allow-Origin", "*"),
    ]

    /// grpc-gateway's marker on answers that came from the gRPC server.
    static let grpcMetadata: (name: String, value: String) = ("Grpc-Metadata-Content-Type", "application/grpc")

    init(transport: any GatewayTransport, method: EtcdMethod, request: HTTPRequest) {
        self.transport = transport
        self.method = method
        self.request = request
        session = ClientSession(transport: transport.clientTransport)
        session.authToken = request.header("authorization") ?? request.header("grpc-metadata-authorization")
            ?? request.header("grpc-metadata-token")
    }

    private var context: LoopContext { transport.context }

    private var handler: EtcdCallHandler {
        EtcdCallHandler(context: context, method: method, session: session, peer: transport.peer, frontEnd: transport.frontEnd)
    }

    private var outputLimit: Int { context.state.config.maxOutputBytes }

    func start() {
        if method.clientStreams {
            parser = JSONParser(request.body)
            if method == .watch { watch = EtcdWatchStream(output: self, context: context, coalescesEvents: false) }
            readRequests()
            return
        }
        do {
            handle(try EtcdWire.decodeJSONRequest(method, body: request.body))
        } catch {
            respond(status: error.status, fromServer: false)
        }
    }

    /// The connection's output drained: streams produce again.
    func resume() {
        guard !isFinished else { return }
        snapshot?.produce()
        watch?.pump()
        readRequests()
    }

    /// The connection is closing: stop everything, write nothing.
    func cancel() {
        isFinished = true
        watch?.cancelAll()
        watch = nil
        snapshot = nil
    }

    // MARK: Requests

    /// Answers the stream's requests in order while the output has room.
    private func readRequests() {
        while !isFinished && !waiting && transport.pendingOutputBytes < outputLimit, var reader = parser {
            let call: EtcdCall?
            do throws(JSONRequestError) {
                let value: JSONValue?
                do { value = try reader.next() } catch { throw .json(error) }
                call = try value.map { value throws(JSONRequestError) in try EtcdWire.decodeJSONRequest(method, value) }
            } catch {
                parser = nil
                if requestsRead == 0 {
                    // grpc-gateway answers a first request it cannot decode with its error handler: the
                    // decoder's text, as an unknown gRPC error.
                    respond(status: GRPCStatus(.unknown, error.status.message), fromServer: false)
                } else {
                    requestsEnded()
                }
                return
            }
            parser = reader
            guard let call else {
                parser = nil
                requestsEnded()
                return
            }
            requestsRead += 1
            if case .watch(let watchRequest) = call {
                watch?.handle(watchRequest)
            } else {
                handle(call)
            }
        }
    }

    /// The body's requests are all read: a LeaseKeepAlive stream ends (etcd's server ends it when the
    /// client stops sending); a Watch stream goes on.
    private func requestsEnded() {
        guard !isFinished, method == .leaseKeepAlive, !waiting else { return }
        if !streaming { beginStream() }
        finishStream()
    }

    private func handle(_ call: EtcdCall) {
        waiting = true
        let reply = handler.handle(call) { [weak self] reply in
            guard let self, !self.isFinished else { return }
            self.waiting = false
            self.deliver(reply)
            self.readRequests()
            if self.parser == nil { self.requestsEnded() }
        }
        if let reply {
            waiting = false
            deliver(reply)
        }
    }

    private func deliver(_ reply: EtcdReply) {
        switch reply {
        case .response(let response):
            var writer = JSONWriter()
            guard EtcdWire.appendJSONResponse(response, method: method, to: &writer) else {
                deliver(.status(GRPCStatus(.internal, "no etcd message for the reply \(response.kind)")))
                return
            }
            answer(json: writer.bytes)
        case .message(let message):
            var writer = JSONWriter()
            EtcdWire.appendJSONMessage(message, method: method, to: &writer)
            answer(json: writer.bytes)
        case .status(let status):
            if method.serverStreams {
                failStream(status)
            } else {
                respond(status: status, fromServer: true)
            }
        case .snapshot(let cursor):
            snapshot = EtcdSnapshotStream(output: self, context: context, cursor: cursor)
            snapshot?.produce()
        }
    }

    /// A reply's JSON: the body of a unary answer, or one result of a stream.
    private func answer(json: [UInt8]) {
        if method.serverStreams {
            writeResult(json: json)
        } else {
            var headers = GatewayExchange.corsHeaders
            headers.append(GatewayExchange.grpcMetadata)
            finish(HTTPResponse(status: .ok, contentType: HTTPResponse.jsonContentType, headers: headers, body: json))
        }
    }

    // MARK: Output

    /// A unary error: grpc-gateway's error body with the HTTP status of its code.
    private func respond(status: GRPCStatus, fromServer: Bool) {
        var headers = GatewayExchange.corsHeaders
        if fromServer { headers.append(GatewayExchange.grpcMetadata) }
        finish(HTTPResponse(status: GatewayExchange.httpStatus(for: status.code), contentType: HTTPResponse.jsonContentType,
                            headers: headers, body: EtcdWire.jsonErrorBody(status)))
    }

    private func finish(_ response: HTTPResponse) {
        guard !isFinished else { return }
        isFinished = true
        transport.finishExchange(with: response)
    }

    private func beginStream(status: HTTPStatus = .ok) {
        streaming = true
        var headers = GatewayExchange.corsHeaders
        headers.append(GatewayExchange.grpcMetadata)
        transport.beginStream(HTTPResponse(status: status, contentType: HTTPResponse.jsonContentType, headers: headers))
    }

    /// Writes one `{"result":…}` line of a stream.
    func writeResult(json: [UInt8]) {
        guard !isFinished else { return }
        if !streaming { beginStream() }
        var line: [UInt8] = []
        line.reserveCapacity(json.count + 12)
        line.append(contentsOf: #"{"result":"#.utf8)
        line.append(contentsOf: json)
        line.append(contentsOf: "}\n".utf8)
        transport.writeStreamChunk(line)
    }

    /// Writes one message of the stream as a result.
    func writeResult(_ message: some EtcdMessage) {
        var writer = JSONWriter()
        EtcdWire.appendJSONMessage(message, method: method, to: &writer)
        writeResult(json: writer.bytes)
    }

    /// Ends a stream with grpc-gateway's stream error (and its HTTP status, when nothing was sent yet).
    func failStream(_ status: GRPCStatus) {
        guard !isFinished else { return }
        let http = GatewayExchange.httpStatus(for: status.code)
        if !streaming { beginStream(status: http) }
        // grpc-gateway writes the error object without the newline that ends each result.
        transport.writeStreamChunk(EtcdWire.jsonStreamErrorBody(status, httpCode: http.code, httpStatus: http.goText))
        finishStream()
    }

    /// Ends a stream that answered everything.
    func finishStream() {
        guard !isFinished else { return }
        isFinished = true
        watch?.cancelAll()
        watch = nil
        snapshot = nil
        transport.endStream()
    }

    var pendingBytes: Int { transport.pendingOutputBytes }
    var hasRoom: Bool { transport.pendingOutputBytes < outputLimit }

    /// grpc-gateway's `HTTPStatusFromCode`.
    static func httpStatus(for code: GRPCStatus.Code) -> HTTPStatus {
        switch code {
        case .ok: .ok
        case .canceled: .requestTimeout
        case .invalidArgument, .outOfRange: .badRequest
        case .deadlineExceeded: .gatewayTimeout
        case .notFound: .notFound
        case .alreadyExists, .aborted: .conflict
        case .permissionDenied: .forbidden
        case .unauthenticated: .unauthorized
        case .resourceExhausted: .tooManyRequests
        case .failedPrecondition: .preconditionFailed
        case .unimplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }
}

extension HTTPStatus {
    /// Go's `http.StatusText`, which grpc-gateway writes into stream errors.
    var goText: String {
        switch self {
        case .contentTooLarge: "Request Entity Too Large"
        case .headerFieldsTooLarge: "Request Header Fields Too Large"
        default: reason
        }
    }
}

/// The gateway's Watch stream writes one `{"result":…}` line per response.
extension GatewayExchange: EtcdWatchOutput {
    func sendWatchMessage<Message: EtcdMessage>(_ message: Message) { writeResult(message) }
    func endWatchStream(_ status: GRPCStatus) { failStream(status) }
}

/// The gateway's Snapshot stream writes one `{"result":…}` line per chunk.
extension GatewayExchange: EtcdSnapshotOutput {
    func sendSnapshotMessage(_ message: EtcdSnapshotResponse) { writeResult(message) }
    func snapshotFinished() { finishStream() }
}
