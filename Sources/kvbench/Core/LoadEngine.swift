import Glibc
import KVClient
import KVPosix

/// A failure while running against the server: kvbench prints it and exits 1.
public struct RunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a reply line starts with (after an optional `@tag`).
public enum LineStatus: Equatable, Sendable {
    case ok, error, event, other

    /// Classifies the line in `bytes` (the line, or at least its first 48 bytes).
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> LineStatus {
        var i = 0
        let n = bytes.count
        if n > 0 && bytes[0] == UInt8(ascii: "@") {
            while i < n && bytes[i] != UInt8(ascii: " ") { i += 1 }
            while i < n && bytes[i] == UInt8(ascii: " ") { i += 1 }
        }
        @inline(__always) func word(_ text: StaticString) -> Bool {
            let length = text.utf8CodeUnitCount
            guard n - i >= length else { return false }
            for k in 0..<length where bytes[i + k] != text.utf8Start[k] { return false }
            return n - i == length || bytes[i + length] == UInt8(ascii: " ")
        }
        if word("OK") { return .ok }
        if word("ERR") { return .error }
        if word("EVENT") { return .event }
        return .other
    }
}

/// One connection: fixed send and receive buffers, and the send times of its requests in flight.
final class LoadConnection {
    enum Role { case load, watch }

    let socket: Socket
    /// The TLS session over `socket` (`https://` endpoints), nil for plaintext.
    let tls: TLSClientSession?
    let role: Role
    /// Most requests in flight.
    let window: Int
    var outstanding = 0
    /// Position in the engine's connection list (the epoll user data).
    var index = 0

    let sendBuffer: UnsafeMutableRawPointer
    let sendCapacity: Int
    var sendStart = 0
    var sendEnd = 0
    var waitingWritable = false

    static let receiveCapacity = 256 * 1024
    let receiveBuffer = UnsafeMutableRawPointer.allocate(byteCount: LoadConnection.receiveCapacity, alignment: 16)
    var received = 0
    /// In the middle of a line longer than what is buffered; its status was read from its start.
    var skipping = false
    var skippedStatus = LineStatus.other

    /// Ring of send times (monotonic ns), one per request in flight, oldest at `stampHead`.
    let stamps: UnsafeMutablePointer<UInt64>
    var stampHead = 0

    init(socket: Socket, tls: TLSClientSession?, role: Role, window: Int, sendCapacity: Int) {
        self.socket = socket
        self.tls = tls
        self.role = role
        self.window = window
        self.sendCapacity = max(sendCapacity, 1)
        sendBuffer = UnsafeMutableRawPointer.allocate(byteCount: self.sendCapacity, alignment: 16)
        stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: max(window, 1))
    }

    /// Sends what the connection takes now: the socket's, or TLS's (a TLS write that needs to read
    /// first waits for writability too, and is retried then).
    func send(_ bytes: UnsafeRawBufferPointer) throws(RunError) -> IOResult<Int> {
        guard let tls else {
            do { return try socket.send(bytes) } catch { throw RunError("\(error)") }
        }
        do {
            return .processed(try tls.write(bytes))
        } catch {
            switch error {
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed: throw RunError("the server closed the TLS connection")
            case .failed(let reason): throw RunError("TLS: \(reason)")
            }
        }
    }

    /// Reads what the connection has: a count (0 at end of stream), or would-block.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(RunError) -> IOResult<Int> {
        guard let tls else {
            do { return try socket.receive(into: buffer) } catch { throw RunError("\(error)") }
        }
        do {
            return .processed(try tls.read(into: buffer))
        } catch {
            switch error {
            case .wantRead, .wantWrite: return .wouldBlock
            case .closed: return .processed(0)
            case .failed(let reason): throw RunError("TLS: \(reason)")
            }
        }
    }

    /// Decrypted bytes OpenSSL holds, which epoll cannot see.
    var pendingInside: Int { tls?.pending ?? 0 }

    deinit {
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
        stamps.deallocate()
        try? socket.close()
    }
}

/// Drives every connection from one thread with epoll: keeps each load connection's window full with
/// requests written from a ``RequestSource`` into its fixed send buffer, and matches reply lines to
/// requests by order (replies to untagged requests come in request order), reading only each line's
/// status token. Latency = reply read time - request encode time, into a preallocated ``Histogram``.
public final class LoadEngine {
    let epoll: Epoll
    var events = EpollEvents(capacity: 256)
    var connections: [LoadConnection] = []
    let deadline: UInt64
    let timeoutSeconds: Double
    let endpoint: String

    public var source: RequestSource?
    /// TLS for every connection (`https://` endpoints, `--cacert` …), verifying `tlsHost`.
    public var tls: ClientTLS?
    public var tlsHost = "127.0.0.1"
    /// An `AUTHENTICATE` line each new connection sends (and must get `OK` for) before any load.
    public var login: [UInt8]?
    /// Requests to issue in this phase, and how many were issued / answered.
    public var phaseTotal = 0
    public private(set) var issued = 0
    public private(set) var completed = 0
    public private(set) var errors = 0
    public private(set) var firstError: String?
    public var histogram = Histogram()
    /// Watch connections: `OK` replies (watch created) and `EVENT` lines seen, and when the last came.
    public private(set) var watchAcks = 0
    public private(set) var watchErrors = 0
    public private(set) var eventLines = 0
    public private(set) var lastEventTime: UInt64 = 0

    public init(endpoint: String, timeoutSeconds: Double) throws(RunError) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        deadline = Posix.monotonicNanoseconds() &+ UInt64(timeoutSeconds * 1e9)
        do {
            epoll = try Epoll()
        } catch {
            throw RunError("epoll: \(error)")
        }
    }

    deinit {
        connections.removeAll()
        try? epoll.close()
    }

    /// Opens a connection to the endpoint. Load connections keep `window` requests of up to
    /// `lineLength` bytes in flight; watch connections send `lineLength`-byte lines `window` times.
    public func connect(load: Bool, window: Int, lineLength: Int) throws(RunError) {
        let address: SocketAddress
        do {
            address = try SocketAddress(parsing: endpoint)
        } catch {
            throw RunError("bad endpoint '\(endpoint)': \(error)")
        }
        let now = Posix.monotonicNanoseconds()
        guard now < deadline else { throw RunError("timed out after \(timeoutSeconds) s while connecting") }
        let socket: Socket
        do {
            socket = try Socket.connect(to: address, timeoutNanoseconds: min(deadline - now, 10_000_000_000),
                                        nonBlocking: true, noDelay: true)
        } catch {
            throw RunError("cannot connect to \(endpoint): \(error) (is the server running?)")
        }
        var session: TLSClientSession?
        if let tls {
            guard let made = tls.session(for: socket, host: tlsHost) else { throw RunError("TLS: cannot make a session") }
            session = made
            try handshake(made, socket)
        }
        let connection = LoadConnection(socket: socket, tls: session, role: load ? .load : .watch, window: window,
                                        sendCapacity: window * lineLength)
        if let login { try logIn(connection, login) }
        do {
            try epoll.add(socket.fd, interest: [.readable, .peerClosed], data: UInt64(connections.count))
        } catch {
            throw RunError("epoll_ctl: \(error)")
        }
        connection.index = connections.count
        connections.append(connection)
    }

    /// Waits (bounded by the run's deadline) for `socket` to be ready for `events`.
    private func wait(_ socket: Socket, _ events: Int32, doing what: String) throws(RunError) {
        let now = Posix.monotonicNanoseconds()
        guard now < deadline else { throw RunError("timed out after \(timeoutSeconds) s while \(what)") }
        var request = pollfd(fd: socket.fd.rawValue, events: Int16(events), revents: 0)
        _ = poll(&request, 1, Int32(min((deadline - now) / 1_000_000, 1000)))
    }

    /// Completes the TLS handshake (bounded by the run's deadline).
    private func handshake(_ session: TLSClientSession, _ socket: Socket) throws(RunError) {
        while true {
            do {
                try session.handshake()
                return
            } catch {
                switch error {
                case .wantRead: try wait(socket, POLLIN, doing: "in the TLS handshake")
                case .wantWrite: try wait(socket, POLLOUT, doing: "in the TLS handshake")
                case .closed: throw RunError("TLS handshake with \(endpoint): the server closed the connection")
                case .failed(let reason): throw RunError("TLS handshake with \(endpoint): \(reason)")
                }
            }
        }
    }

    /// Sends the login line and waits (bounded by the run's deadline) for its one-line reply.
    private func logIn(_ connection: LoadConnection, _ line: [UInt8]) throws(RunError) {
        var offset = 0
        while offset < line.count {
            let result = try line.withUnsafeBytes { bytes in Result { () throws(RunError) in try connection.send(UnsafeRawBufferPointer(rebasing: bytes[offset...])) } }.get()
            if case .processed(let count) = result { offset += count } else { try wait(connection.socket, POLLOUT, doing: "logging in") }
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(UInt8(ascii: "\n")) {
            let result = try chunk.withUnsafeMutableBytes { bytes in Result { () throws(RunError) in try connection.receive(into: bytes) } }.get()
            switch result {
            case .processed(0): throw RunError("login: the server closed the connection")
            case .processed(let count): reply += chunk[..<count]
            case .wouldBlock: try wait(connection.socket, POLLIN, doing: "logging in")
            }
        }
        guard reply.starts(with: Array("OK".utf8)) else {
            throw RunError("login refused: \(String(decoding: reply.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))")
        }
    }

    /// Starts a phase of `total` requests from `source` on the load connections, with counters and the
    /// histogram reset.
    public func startPhase(_ source: RequestSource, total: Int) throws(RunError) {
        self.source = source
        phaseTotal = total
        issued = 0
        completed = 0
        histogram = Histogram()
        for connection in connections where connection.role == .load {
            try refill(connection)
        }
    }

    /// Queues raw lines on watch connection `index` (each counts as a request awaiting a reply on
    /// that connection, but outside the load counters).
    public func sendRaw(_ line: [UInt8], onWatchConnection index: Int) throws(RunError) {
        let watchers = connections.filter { $0.role == .watch }
        let connection = watchers[index % watchers.count]
        compactSend(connection, adding: line.count)
        line.withUnsafeBytes { (connection.sendBuffer + connection.sendEnd).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        connection.sendEnd += line.count
        try flush(connection)
    }

    /// Runs the event loop until `done()` holds; throws on timeout or a broken connection.
    public func run(until done: () -> Bool) throws(RunError) {
        while !done() {
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else {
                throw RunError("timed out after \(timeoutSeconds) s (--timeout) with \(completed) of \(phaseTotal) replies, \(eventLines) events")
            }
            let waitMs = Int32(clamping: min((deadline - now) / 1_000_000 + 1, 100))
            let ready: Int
            do {
                ready = try epoll.wait(into: &events, timeoutMilliseconds: waitMs)
            } catch {
                throw RunError("epoll_wait: \(error)")
            }
            for e in 0..<ready {
                let event = events[e]
                let connection = connections[Int(event.data)]
                if event.isWritable { try flush(connection) }
                if event.isReadable || event.isHangup || event.isError { try receive(connection) }
            }
        }
    }

    // MARK: - Sending

    private func compactSend(_ c: LoadConnection, adding bytes: Int) {
        if c.sendStart == c.sendEnd {
            c.sendStart = 0
            c.sendEnd = 0
        } else if c.sendEnd + bytes > c.sendCapacity {
            let pending = c.sendEnd - c.sendStart
            c.sendBuffer.copyMemory(from: c.sendBuffer + c.sendStart, byteCount: pending)
            c.sendStart = 0
            c.sendEnd = pending
        }
        precondition(c.sendEnd + bytes <= c.sendCapacity, "send buffer overflow")
    }

    /// Fills the window of `c` with new requests (as many as the phase has left) and sends them.
    private func refill(_ c: LoadConnection) throws(RunError) {
        guard var source else { return }
        let room = min(c.window - c.outstanding, phaseTotal - issued)
        guard room > 0 else { return }
        let length = source.lineLength
        compactSend(c, adding: room * length)
        let now = Posix.monotonicNanoseconds()
        for _ in 0..<room {
            source.write(to: c.sendBuffer + c.sendEnd)
            c.sendEnd += length
            c.stamps[(c.stampHead + c.outstanding) % c.window] = now
            c.outstanding += 1
        }
        self.source = source
        issued += room
        try flush(c)
    }

    private func flush(_ c: LoadConnection) throws(RunError) {
        while c.sendStart < c.sendEnd {
            let result: IOResult<Int>
            do {
                result = try c.send(UnsafeRawBufferPointer(start: c.sendBuffer + c.sendStart, count: c.sendEnd - c.sendStart))
            } catch {
                throw RunError("sending to \(endpoint): \(error)")
            }
            switch result {
            case .processed(let n):
                c.sendStart += n
            case .wouldBlock:
                if !c.waitingWritable { try interest(c, writable: true) }
                return
            }
        }
        if c.waitingWritable { try interest(c, writable: false) }
    }

    private func interest(_ c: LoadConnection, writable: Bool) throws(RunError) {
        let index = c.index
        do {
            try epoll.modify(c.socket.fd, interest: writable ? [.readable, .peerClosed, .writable] : [.readable, .peerClosed],
                             data: UInt64(index))
        } catch {
            throw RunError("epoll_ctl: \(error)")
        }
        c.waitingWritable = writable
    }

    // MARK: - Receiving

    private func receive(_ c: LoadConnection) throws(RunError) {
        // Over TLS, what OpenSSL already decrypted is read in the same turn: epoll cannot see it.
        repeat {
            try receiveOnce(c)
        } while c.pendingInside > 0
    }

    private func receiveOnce(_ c: LoadConnection) throws(RunError) {
        let result: IOResult<Int>
        do {
            result = try c.receive(into: UnsafeMutableRawBufferPointer(
                start: c.receiveBuffer + c.received, count: LoadConnection.receiveCapacity - c.received))
        } catch {
            throw RunError("receiving from \(endpoint): \(error)")
        }
        guard case .processed(let count) = result else { return }
        if count == 0 {
            throw RunError("the server at \(endpoint) closed the connection (\(completed) of \(phaseTotal) replies received)")
        }
        let now = Posix.monotonicNanoseconds()
        let end = c.received + count
        let base = c.receiveBuffer
        var position = 0
        while position < end {
            let rest = end - position
            let found = memchr(base + position, Int32(UInt8(ascii: "\n")), rest)
            if c.skipping {
                guard let found else { position = end; break }
                c.skipping = false
                try complete(c, c.skippedStatus, line: nil, now: now)
                position = UnsafeMutableRawPointer(found) - base + 1
                continue
            }
            guard let found else {
                // A partial line: keep it, unless it is already long enough to classify.
                if rest >= 48 {
                    c.skippedStatus = LineStatus.classify(UnsafeRawBufferPointer(start: base + position, count: rest))
                    c.skipping = true
                    position = end
                }
                break
            }
            let newline = UnsafeMutableRawPointer(found) - base
            let line = UnsafeRawBufferPointer(start: base + position, count: newline - position)
            try complete(c, LineStatus.classify(line), line: line, now: now)
            position = newline + 1
        }
        let left = end - position
        if left > 0 && position > 0 { base.copyMemory(from: base + position, byteCount: left) }
        c.received = left
        if c.role == .load { try refill(c) }
    }

    private func complete(_ c: LoadConnection, _ status: LineStatus, line: UnsafeRawBufferPointer?, now: UInt64) throws(RunError) {
        if status == .event {
            eventLines += 1
            lastEventTime = now
            return
        }
        if c.role == .watch {
            if status == .ok { watchAcks += 1 } else { watchErrors += 1; noteError(line) }
            return
        }
        guard c.outstanding > 0 else {
            throw RunError("the server sent a reply nobody asked for: \(text(line))")
        }
        let sent = c.stamps[c.stampHead]
        c.stampHead = c.stampHead + 1 == c.window ? 0 : c.stampHead + 1
        c.outstanding -= 1
        histogram.record(now &- sent)
        completed += 1
        if status != .ok {
            errors += 1
            noteError(line)
        }
    }

    private func noteError(_ line: UnsafeRawBufferPointer?) {
        if firstError == nil { firstError = text(line) }
    }

    private func text(_ line: UnsafeRawBufferPointer?) -> String {
        guard let line else { return "(a line too long to show)" }
        return String(decoding: line.prefix(300), as: UTF8.self)
    }
}
