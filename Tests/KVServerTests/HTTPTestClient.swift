import Glibc
import KVPosix

/// A raw blocking connection for speaking HTTP/1.1 (or anything) by hand and reading exact response
/// bytes; every read has a timeout, so no test can hang.
final class HTTPTestClient {
    struct Response: Equatable {
        var status: Int
        /// Header names lower-cased; `date` included.
        var headers: [String: String]
        var body: [UInt8]
        /// The status line and headers as received, without the blank line.
        var head: String

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The head without its `Date` line (which changes), for exact comparisons.
        var headWithoutDate: String {
            head.split(separator: "\r\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Date: ") }
                .joined(separator: "\r\n")
        }
    }

    enum Failure: Error { case timeout, closed, malformed(String) }

    let socket: Socket
    private var pending: [UInt8] = []

    init(endpoint: String, timeout: UInt64 = 5_000_000_000) throws {
        socket = try Socket.connect(to: try SocketAddress(parsing: endpoint), timeoutNanoseconds: 2_000_000_000)
        try socket.setReceiveTimeout(nanoseconds: timeout)
        try socket.setSendTimeout(nanoseconds: timeout)
    }

    deinit { try? socket.close() }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let result = try bytes.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            guard case .processed(let count) = result else { throw Failure.timeout }
            offset += count
        }
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
        switch result {
        case .processed(0): return false
        case .processed(let count):
            pending += chunk[..<count]
            return true
        case .wouldBlock: throw Failure.timeout
        }
    }

    /// Exactly `count` bytes.
    func bytes(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard try fill() else { throw Failure.closed }
        }
        defer { pending.removeFirst(count) }
        return Array(pending[..<count])
    }

    /// The next response (its body read by `Content-Length`).
    func response() throws -> Response {
        var end: Int?
        var searched = 0
        while end == nil {
            while searched + 4 <= pending.count {
                if pending[searched] == 0x0d && pending[searched + 1] == 0x0a && pending[searched + 2] == 0x0d
                    && pending[searched + 3] == 0x0a {
                    end = searched
                    break
                }
                searched += 1
            }
            if end == nil { guard try fill() else { throw Failure.closed } }
        }
        let head = String(decoding: pending[..<end!], as: UTF8.self)
        pending.removeFirst(end! + 4)
        let lines = head.split(separator: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw Failure.malformed(head)
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(head) }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        let length = status == 100 ? 0 : Int(headers["content-length"] ?? "") ?? 0
        return Response(status: status, headers: headers, body: try bytes(length), head: head)
    }

    /// Whether the server closed the connection (end of stream, or reset) within the timeout, discarding
    /// anything before it.
    func readsEndOfStream() -> Bool {
        while true {
            do {
                if try !fill() { return true }
            } catch Failure.timeout {
                return false
            } catch {
                return true
            }
        }
    }

    /// Everything until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending = [] }
        return pending
    }
}
