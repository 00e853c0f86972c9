import Glibc
import KVPosix

/// A line-protocol fuzz connection (a ``FuzzLane``): a non-blocking socket that writes case bytes while
/// reading and discarding whatever the server answers (replies, `EVENT` lines, snapshot chunks).
///
/// ``sync(deadline:)`` sends `@fz.<lane>.<nonce>.<n> PING` and reads until its `OK` comes back: replies
/// come in request order on a connection, so the server has then answered every earlier line. The nonce
/// keeps a fuzzed tag from ever passing for the marker.
public final class LineLane: FuzzLane {
    let socket: Socket
    let endpoint: String
    public let index: Int
    let nonce: UInt64
    private var syncs = 0
    /// The marker reply being waited for, and whether it has been seen.
    private var needle: [UInt8]?
    private var seen = false
    /// The last `needle.count - 1` bytes read, so a marker split across reads is still found.
    private var carry: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65_536)
    private var isClosed = false
    /// Every byte the server sent on this lane.
    public private(set) var bytesReceived = 0

    public init(endpoint: String, index: Int, nonce: UInt64, connectTimeoutSeconds: Double) throws(FuzzTransportError) {
        self.endpoint = endpoint
        self.index = index
        self.nonce = nonce
        do {
            socket = try Socket.connect(to: try SocketAddress(parsing: endpoint),
                                        timeoutNanoseconds: UInt64(connectTimeoutSeconds * 1e9), nonBlocking: true)
        } catch {
            throw LineClient.failure(error, connecting: endpoint)
        }
    }

    deinit { close(reset: false) }

    public func send(_ bytes: [UInt8], deadline: UInt64) throws(FuzzTransportError) {
        var offset = 0
        while offset < bytes.count {
            let result: IOResult<Int>
            do {
                result = try bytes.withUnsafeBytes { (raw) throws(PosixError) in
                    try socket.send(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            } catch {
                throw FuzzTransportError(.reset, "fuzz connection \(index): sending: \(error)")
            }
            if case .processed(let count) = result {
                offset += count
            } else {
                try wait(writable: true, deadline: deadline, doing: "taking \(bytes.count - offset) more bytes")
            }
        }
        try drain()
    }

    public func sync(deadline: UInt64) throws(FuzzTransportError) {
        syncs += 1
        let tag = "fz.\(index).\(String(nonce, radix: 36)).\(syncs)"
        needle = Array("@\(tag) OK".utf8)
        seen = false
        carry = []
        try send(Array("@\(tag) PING\n".utf8), deadline: deadline)
        while !seen { try wait(writable: false, deadline: deadline, doing: "answering up to its marker PING") }
        needle = nil
    }

    public func close(reset: Bool) {
        guard !isClosed else { return }
        isClosed = true
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(socket.fd.rawValue, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        try? socket.close()
    }

    /// Waits (at most until `deadline`) until the socket is readable (then drains it) or, when
    /// `writable`, writable.
    private func wait(writable: Bool, deadline: UInt64, doing what: String) throws(FuzzTransportError) {
        let now = Posix.monotonicNanoseconds()
        guard now < deadline else {
            throw FuzzTransportError(.timeout, "fuzz connection \(index): the server stopped \(what) (no progress before the deadline)")
        }
        var request = pollfd(fd: socket.fd.rawValue, events: Int16(POLLIN) | (writable ? Int16(POLLOUT) : 0), revents: 0)
        let ready = poll(&request, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1000)))
        if ready > 0 && request.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { try drain() }
    }

    /// Reads everything available now.
    private func drain() throws(FuzzTransportError) {
        while true {
            let result: IOResult<Int>
            do {
                result = try chunk.withUnsafeMutableBytes { (bytes) throws(PosixError) in try socket.receive(into: bytes) }
            } catch {
                throw FuzzTransportError(.reset, "fuzz connection \(index): receiving: \(error)")
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                throw FuzzTransportError(.closed, "fuzz connection \(index): the server closed it")
            case .processed(let count):
                bytesReceived += count
                if let needle, !seen { scan(count, for: needle) }
            }
        }
    }

    private func scan(_ count: Int, for needle: [UInt8]) {
        var window = carry
        window += chunk[..<count]
        let found = window.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { LineLane.contains(haystack, $0) }
        }
        if found { seen = true }
        carry = Array(window.suffix(needle.count - 1))
    }

    /// Whether `needle` (not empty) occurs in `haystack`: `memchr` to each candidate first byte, then a compare.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard let base = haystack.baseAddress, let first = needle.first, needle.count <= haystack.count else { return false }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last, let hit = memchr(base + start, Int32(first), last - start + 1) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle.baseAddress!, needle.count) == 0 { return true }
            start = at + 1
        }
        return false
    }
}
