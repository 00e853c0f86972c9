import EtcdWire
import HPACK
import HTTP2
import KVPosix

/// gRPC over HTTP/2 on one `ClientStream`: calls are HTTP/2 streams carrying length-prefixed messages
/// (gRPC's 5-byte framing) and ending with `grpc-status` trailers. Blocking, with deadlines: whoever
/// waits for a call reads the socket and files what arrives for every call. Not thread-safe:
/// `EtcdGRPCClient` guards it with a mutex.
final class GRPCConnection {
    /// What arrived on one call.
    struct Call {
        /// Bytes of a message not complete yet.
        var partial: [UInt8] = []
        var messages: [[UInt8]] = []
        var head = 0
        /// The call's end: its status (OK or not), once the server ended the stream.
        var status: GRPCStatus?
        var headersSeen = false
    }

    /// The largest message accepted from the server (a larger one fails the call, as grpc-go's
    /// `received message larger than max`): etcd itself sends up to about 2 GiB.
    static let maximumMessageBytes = 512 << 20

    let stream: ClientStream
    var endpoint: String { stream.endpoint }
    private let authority: String
    private var http2 = HTTP2ClientConnection()
    private var calls: [UInt32: Call] = [:]
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Whether the server's SETTINGS arrived: it speaks HTTP/2.
    private(set) var serverSpoke = false
    /// The server sent GOAWAY: no new call may start.
    private var goingAway = false
    /// Set once the connection is unusable; every later operation fails with it.
    private(set) var failure: ClientError?

    init(stream: ClientStream, authority: String) {
        self.stream = stream
        self.authority = authority
    }

    deinit { scratch.deallocate() }

    func close() {
        guard failure == nil else { return }
        failure = ClientError(kind: .closed, description: "client connection to \(endpoint) is closed")
        stream.shutdown()
    }

    @discardableResult
    private func fail(_ error: ClientError) -> ClientError {
        if failure == nil {
            failure = error
            stream.shutdown()
        }
        return error
    }

    /// Sends the preface and waits until the server's SETTINGS prove it speaks HTTP/2.
    /// - Throws: `.protocolError` when it answers something else or hangs up.
    func start(deadline: UInt64) throws(ClientError) {
        try flush(deadline: deadline)
        while !serverSpoke {
            guard Posix.monotonicNanoseconds() < deadline else {
                throw fail(ClientError(kind: .timeout, description: "\(endpoint) did not answer the HTTP/2 preface"))
            }
            try pump(until: deadline)
        }
    }

    // MARK: Calls

    /// Starts a call of `path` with `metadata` (extra headers, e.g. etcd's `token`).
    func open(_ path: String, metadata: [HeaderField], deadline: UInt64) throws(ClientError) -> UInt32 {
        if let failure { throw failure }
        if goingAway { throw fail(ClientError(kind: .closed, description: "connection to \(endpoint) closed by the server (GOAWAY)")) }
        let scheme = stream.tls == nil ? "http" : "https"
        let id = http2.openStream(headers: [
            HeaderField(":method", "POST"), HeaderField(":scheme", scheme), HeaderField(":path", path),
            HeaderField(":authority", authority), HeaderField("content-type", "application/grpc"),
            HeaderField("te", "trailers"), HeaderField("user-agent", "kvctl-grpc"),
        ] + metadata, endStream: false)
        calls[id] = Call()
        try flush(deadline: deadline)
        return id
    }

    /// Sends one message on a call; `last` ends the client's side of it.
    func send(_ id: UInt32, _ message: [UInt8], last: Bool, deadline: UInt64) throws(ClientError) {
        if let failure { throw failure }
        var framed: [UInt8] = [0]
        framed.reserveCapacity(5 + message.count)
        let length = UInt32(message.count)
        framed += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        framed += message
        http2.sendData(id, framed, endStream: last)
        try flush(deadline: deadline)
    }

    /// Stops a call (RST_STREAM CANCEL) and forgets it.
    func cancel(_ id: UInt32) {
        calls[id] = nil
        guard failure == nil, http2.isOpen(id) else { return }
        http2.reset(id)
        try? flush(deadline: Posix.deadline(afterNanoseconds: 1_000_000_000))
    }

    /// The call's next message, waiting at most until `deadline` (nil: none by then, or the call ended
    /// OK with no more messages — `ended` tells which).
    /// - Throws: `.server` with the call's status when it failed, or the connection's failure.
    func nextMessage(_ id: UInt32, until deadline: UInt64) throws(ClientError) -> (message: [UInt8]?, ended: Bool) {
        while true {
            if let message = takeMessage(id) { return (message, false) }
            guard let call = calls[id] else { throw ClientError(kind: .closed, description: "call on \(endpoint) is closed") }
            if let status = call.status {
                calls[id] = nil
                if status.code == .ok { return (nil, true) }
                throw GRPCConnection.error(status)
            }
            if let failure { throw failure }
            guard Posix.monotonicNanoseconds() < deadline else { return (nil, false) }
            try pump(until: deadline)
        }
    }

    private func takeMessage(_ id: UInt32) -> [UInt8]? {
        guard var call = calls[id], call.head < call.messages.count else { return nil }
        let message = call.messages[call.head]
        call.head += 1
        if call.head == call.messages.count {
            call.messages.removeAll()
            call.head = 0
        }
        calls[id] = call
        return message
    }

    /// A failed call's error, worded as etcd's Go client words it: etcd's own errors (`etcdserver: …`)
    /// as their bare text, anything else as gRPC's `rpc error: code = Unknown desc = auth: permission denied`.
    static func error(_ status: GRPCStatus) -> ClientError {
        if status.code == .deadlineExceeded { return ClientError(kind: .timeout, description: status.message) }
        if status.message.hasPrefix("etcdserver: ") { return ClientError(kind: .server, description: status.message) }
        return ClientError(kind: .server, description: "rpc error: code = \(status.code.goName) desc = \(status.message)")
    }

    // MARK: The socket

    /// Writes everything HTTP/2 has to send, by `deadline`.
    private func flush(deadline: UInt64) throws(ClientError) {
        while true {
            let bytes = http2.takeOutput()
            if bytes.isEmpty { return }
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(ClientError) in
                    try stream.transmitAll(raw, scratch: scratch, deadline: deadline) { () throws(ClientError) in
                        try readAvailable()
                    }
                }
            }
            if case .failure(let error) = result { throw fail(error) }
        }
    }

    /// Waits at most until `deadline` (and at most 20 ms) for input and files what arrived.
    func pump(until deadline: UInt64) throws(ClientError) {
        if let failure { throw failure }
        let until = min(deadline, Posix.monotonicNanoseconds() &+ 20_000_000)
        let ready: (readable: Bool, writable: Bool)
        do { ready = try stream.wait(writable: false, until: until) } catch { throw fail(error) }
        if ready.readable { try readAvailable() }
        try flush(deadline: Posix.deadline(afterNanoseconds: 5_000_000_000))
    }

    private func readAvailable() throws(ClientError) {
        var total = 0
        while total < 1 << 20 {
            let result: IOResult<Int>
            do { result = try stream.receive(into: scratch) } catch { throw fail(error) }
            guard case .processed(let count) = result else { return }
            if count == 0 {
                throw fail(ClientError(kind: .closed, description: serverSpoke
                                        ? "connection to \(endpoint) closed by the server"
                                        : "\(endpoint) closed the connection without answering HTTP/2"))
            }
            total += count
            let events: [HTTP2ClientConnection.Event]
            do {
                events = try http2.receive(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            } catch {
                try? flush(deadline: Posix.deadline(afterNanoseconds: 100_000_000))
                throw fail(ClientError(kind: .protocolError, description: serverSpoke
                                        ? "\(endpoint): \(error)"
                                        : "\(endpoint) does not speak HTTP/2 (\(error))"))
            }
            serverSpoke = true
            for event in events { try file(event) }
        }
    }

    private func file(_ event: HTTP2ClientConnection.Event) throws(ClientError) {
        switch event {
        case .headers(let id, let fields, let endStream):
            guard calls[id] != nil else { return }
            if !calls[id]!.headersSeen && !endStream {
                calls[id]!.headersSeen = true
                let status = fields.first { $0.name == ":status" }?.value
                if status != "200" {
                    end(id, GRPCStatus(GRPCConnection.code(forHTTPStatus: status), "unexpected HTTP status code received from server: \(status ?? "none")"))
                }
                return
            }
            // Trailers (or a trailers-only response).
            let code = fields.first { $0.name == "grpc-status" }.flatMap { Int($0.value) }
            let message = fields.first { $0.name == "grpc-message" }.map { GRPCConnection.percentDecoded($0.value) } ?? ""
            end(id, GRPCStatus(GRPCStatus.Code(rawValue: code ?? GRPCStatus.Code.internal.rawValue),
                               code == nil ? "server closed the stream without sending trailers" : message))
        case .data(let id, let bytes, let endStream):
            guard calls[id] != nil else { return }
            calls[id]!.partial += bytes
            while calls[id]!.partial.count >= 5 {
                let p = calls[id]!.partial
                let length = Int(p[1]) << 24 | Int(p[2]) << 16 | Int(p[3]) << 8 | Int(p[4])
                guard length <= GRPCConnection.maximumMessageBytes else {
                    end(id, GRPCStatus(.resourceExhausted, "grpc: received message larger than max (\(length) vs. \(GRPCConnection.maximumMessageBytes))"))
                    http2.reset(id)
                    return
                }
                guard p.count >= 5 + length else { break }
                if p[0] != 0 {
                    end(id, GRPCStatus(.internal, "grpc: compressed message without a negotiated compressor"))
                    http2.reset(id)
                    return
                }
                calls[id]!.messages.append(Array(p[5..<(5 + length)]))
                calls[id]!.partial.removeFirst(5 + length)
            }
            if endStream { end(id, GRPCStatus(.internal, "server closed the stream without sending trailers")) }
        case .reset(let id, let code):
            end(id, GRPCStatus(code == .refusedStream ? .unavailable : code == .cancel ? .canceled : .internal,
                               "stream terminated by RST_STREAM with error code: \(code)"))
        case .goAway(let lastStreamID, let code, let debug):
            goingAway = true
            for id in calls.keys where id > lastStreamID {
                end(id, GRPCStatus(.unavailable, "the connection is draining (GOAWAY \(code)\(debug.isEmpty ? "" : ": \(debug)"))"))
            }
        }
    }

    /// Records a call's end (the first one counts) and lets HTTP/2 forget the stream.
    private func end(_ id: UInt32, _ status: GRPCStatus) {
        guard calls[id] != nil, calls[id]!.status == nil else { return }
        calls[id]!.status = status
        http2.close(id)
    }

    /// gRPC's mapping of a non-200 HTTP status to a code (grpc's http-grpc-status-mapping).
    static func code(forHTTPStatus status: String?) -> GRPCStatus.Code {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    /// `grpc-message` is percent-encoded (gRPC's HTTP/2 protocol): `%XX` back to bytes.
    static func percentDecoded(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
