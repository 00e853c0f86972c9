import Glibc
import KVPosix
import KVProtocol
import KVStore

/// The line protocol side of a client over its `ClientStream`: an input line decoder, and the
/// bookkeeping that matches reply lines to requests.
///
/// The server answers requests in order, so outstanding requests form a FIFO; each request is tagged
/// with its sequence number and the reply's tag is checked against the head. `EVENT` lines are not
/// replies: they go to the queue of the watch whose tag they carry. Not thread-safe: `KVClient`
/// guards it with a mutex.
final class ClientConnection {
    struct WatchQueue {
        var responses: [WatchResponse] = []
        var head = 0
        var finished = false
    }

    /// The connected socket (and TLS session) this connection speaks over.
    let stream: ClientStream
    var endpoint: String { stream.endpoint }
    var tls: TLSClientSession? { stream.tls }
    private var input = ByteBuffer(capacity: 64 * 1024)
    private var decoder = LineDecoder(maximumLineLength: Int(Int32.max))
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private var nextSequence: UInt64 = 1
    private var outstanding: [(sequence: UInt64, kind: CommandKind)] = []
    private var outstandingHead = 0
    private(set) var results: [UInt64: Result<Response, WireError>] = [:]
    /// Requests whose caller gave up (timeout); their replies are dropped on arrival.
    private var abandoned: Set<UInt64> = []
    var watches: [UInt64: WatchQueue] = [:]
    /// Set once the connection is unusable; every later operation fails with it.
    private(set) var failure: ClientError?

    init(stream: ClientStream) {
        self.stream = stream
    }

    deinit {
        scratch.deallocate()
    }

    func close() {
        guard failure == nil else { return }
        failure = ClientError(kind: .closed, description: "client connection to \(endpoint) is closed")
        stream.shutdown()
    }

    /// Sends part of `bytes`; a failure makes the connection unusable.
    private func transmit(_ bytes: UnsafeRawBufferPointer) throws(ClientError) -> IOResult<Int> {
        do { return try stream.transmit(bytes, scratch: scratch) } catch { throw fail(error) }
    }

    /// Receives into `scratch`; `.processed(0)` is the end of the stream.
    private func receive() throws(ClientError) -> IOResult<Int> {
        do { return try stream.receive(into: scratch) } catch { throw fail(error) }
    }

    private func wait(writable: Bool, until deadline: UInt64) throws(ClientError) -> (readable: Bool, writable: Bool) {
        do { return try stream.wait(writable: writable, until: deadline) } catch { throw fail(error) }
    }

    // MARK: Sending

    /// Encodes `requests` with sequence-number tags, appends them to one buffer and writes it, reading
    /// replies while the socket is full so a long pipeline cannot deadlock. Returns the sequence numbers.
    func send(_ requests: [Request], deadline: UInt64, watch: Bool = false) throws(ClientError) -> [UInt64] {
        if let failure { throw failure }
        var buffer = ByteBuffer(capacity: requests.count * 32)
        var sequences: [UInt64] = []
        sequences.reserveCapacity(requests.count)
        for request in requests {
            let sequence = nextSequence
            nextSequence += 1
            RequestEncoder.encode(request, tag: ClientConnection.tag(sequence), into: &buffer)
            outstanding.append((sequence, request.kind))
            if watch { watches[sequence] = WatchQueue() }
            sequences.append(sequence)
        }
        while !buffer.isEmpty {
            let result = try buffer.withUnsafeReadableBytes { (bytes) throws(ClientError) -> IOResult<Int> in
                try transmit(UnsafeRawBufferPointer(bytes))
            }
            switch result {
            case .processed(let count):
                buffer.moveReaderIndex(forwardBy: count)
            case .wouldBlock:
                let now = Posix.monotonicNanoseconds()
                guard now < deadline else {
                    throw fail(ClientError(kind: .timeout, description: "timed out writing requests to \(endpoint)"))
                }
                let ready = try wait(writable: true, until: deadline)
                if ready.readable { try readAvailable() }
            }
        }
        return sequences
    }

    /// Sends `request` as it is and returns every byte the server sends until it closes the connection
    /// (for a one-shot HTTP request; the line decoder is not used).
    func exchangeRaw(_ request: [UInt8], deadline: UInt64) throws(ClientError) -> [UInt8] {
        var buffer = ByteBuffer(capacity: request.count)
        buffer.writeBytes(request)
        while !buffer.isEmpty {
            let result = try buffer.withUnsafeReadableBytes { (bytes) throws(ClientError) -> IOResult<Int> in
                try transmit(UnsafeRawBufferPointer(bytes))
            }
            if case .processed(let count) = result {
                buffer.moveReaderIndex(forwardBy: count)
                continue
            }
            guard Posix.monotonicNanoseconds() < deadline else {
                throw fail(ClientError(kind: .timeout, description: "timed out writing to \(endpoint)"))
            }
            _ = try wait(writable: true, until: deadline)
        }
        var response: [UInt8] = []
        while true {
            switch try receive() {
            case .processed(0):
                return response
            case .processed(let count):
                response += UnsafeRawBufferPointer(rebasing: scratch[0..<count])
            case .wouldBlock:
                guard Posix.monotonicNanoseconds() < deadline else {
                    throw fail(ClientError(kind: .timeout, description: "timed out reading from \(endpoint)"))
                }
                _ = try wait(writable: false, until: deadline)
            }
        }
    }

    static func tag(_ sequence: UInt64) -> RequestTag {
        RequestTag(String(sequence, radix: 36))!
    }

    // MARK: Receiving

    /// Takes the result of request `sequence` if it has arrived.
    func takeResult(_ sequence: UInt64) -> Result<Response, WireError>? {
        results.removeValue(forKey: sequence)
    }

    func abandon(_ sequence: UInt64) {
        if results.removeValue(forKey: sequence) == nil { abandoned.insert(sequence) }
    }

    /// Waits at most until `deadline` (and at most `slice` nanoseconds) for input, and processes what
    /// arrived.
    func pump(until deadline: UInt64, slice: UInt64 = 20_000_000) throws(ClientError) {
        if let failure { throw failure }
        let now = Posix.monotonicNanoseconds()
        let until = min(deadline, now &+ slice)
        let ready = try wait(writable: false, until: until)
        if ready.readable { try readAvailable() }
    }

    /// Reads everything available and processes every complete line.
    private func readAvailable() throws(ClientError) {
        var total = 0
        while true {
            guard case .processed(let count) = try receive() else { break }
            if count == 0 {
                try processLines()
                throw fail(ClientError(kind: .closed, description: "connection to \(endpoint) closed by the server"))
            }
            input.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            total += count
            // A short plaintext read emptied the socket; TLS reads one record at a time, so read on, up
            // to a bound (what is left stays in OpenSSL or the socket, and `wait` sees either).
            if tls == nil && count < scratch.count { break }
            if tls != nil && total >= 1 << 20 { break }
        }
        try processLines()
    }

    private func processLines() throws(ClientError) {
        while let framed = decoder.next(from: &input) {
            guard case .line(let line) = framed else { continue }
            if line.isEmpty { continue }
            try process(line)
        }
    }

    private func process(_ line: [UInt8]) throws(ClientError) {
        let frame: ReplyFrame
        do {
            frame = try ReplyFrame.parse(line)
        } catch {
            throw fail(protocolError(error, line))
        }
        if frame.status == .event {
            guard let tag = frame.tag, let sequence = UInt64(String(decoding: tag.bytes, as: UTF8.self), radix: 36),
                  watches[sequence] != nil else { return }  // an event for a watch we no longer follow
            do {
                let reply = try ReplyDecoder.decode(frame, for: .watch)
                if case .success(.watch(let response)) = reply.result {
                    watches[sequence]!.responses.append(response)
                    if response.canceled { watches[sequence]!.finished = true }
                }
            } catch {
                throw fail(protocolError(error, line))
            }
            return
        }
        guard outstandingHead < outstanding.count else {
            if frame.status == .err, frame.tag == nil {
                // An unsolicited error, e.g. the server refusing the connection.
                let message = String(decoding: frame.arguments.count > 1 ? frame.arguments[1] : [], as: UTF8.self)
                throw fail(ClientError(kind: .closed, description: message))
            }
            throw fail(ClientError(kind: .protocolError, description: "unexpected reply from \(endpoint): \(String(decoding: line.prefix(200), as: UTF8.self))"))
        }
        let (sequence, kind) = outstanding[outstandingHead]
        if let tag = frame.tag, tag != ClientConnection.tag(sequence) {
            throw fail(ClientError(kind: .protocolError, description: "reply out of order from \(endpoint): expected @\(String(sequence, radix: 36)), got \(tag)"))
        }
        outstandingHead += 1
        if outstandingHead == outstanding.count {
            outstanding.removeAll(keepingCapacity: true)
            outstandingHead = 0
        } else if outstandingHead >= 4096 && outstandingHead * 2 >= outstanding.count {
            outstanding.removeFirst(outstandingHead)
            outstandingHead = 0
        }
        let reply: Reply
        do {
            reply = try ReplyDecoder.decode(frame, for: kind)
        } catch {
            throw fail(protocolError(error, line))
        }
        if abandoned.remove(sequence) != nil { return }
        results[sequence] = reply.result
        if case .failure = reply.result, watches[sequence] != nil { watches[sequence] = nil }
    }

    private func protocolError(_ error: WireError, _ line: [UInt8]) -> ClientError {
        ClientError(kind: .protocolError,
                    description: "unparseable reply from \(endpoint): \(error.message): \(String(decoding: line.prefix(200), as: UTF8.self))")
    }

    /// Marks the connection unusable and returns the error to throw.
    @discardableResult
    func fail(_ error: ClientError) -> ClientError {
        if failure == nil {
            failure = error
            stream.shutdown()
        }
        return error
    }
}
