import KVPosix
import KVProtocol

/// The two loops every client connection runs around its socket, whatever it speaks.
extension Socket {
    /// What one `receive(into:scratch:budget:)` brought.
    struct Received {
        /// Bytes appended to the buffer.
        var count = 0
        /// The peer closed its sending side (end of stream was read).
        var endOfStream = false
    }

    /// Reads what the socket has, up to about `budget` bytes (level-triggered epoll: the rest is read on
    /// the next wake-up), through `scratch` into `buffer`.
    func receive(into buffer: inout ByteBuffer, scratch: UnsafeMutableRawBufferPointer,
                 budget: Int) throws(PosixError) -> Received {
        var received = Received()
        while received.count < budget {
            guard case .processed(let count) = try receive(into: scratch) else { break }
            if count == 0 {
                received.endOfStream = true
                break
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            received.count += count
            if count < scratch.count { break }
        }
        return received
    }

    /// Sends as much of `buffer` as the socket takes now, consuming what was sent.
    /// - Returns: whether everything was sent (false: the socket would block; wait for writability).
    @discardableResult
    func send(from buffer: inout ByteBuffer) throws(PosixError) -> Bool {
        while !buffer.isEmpty {
            let result = try buffer.withUnsafeReadableBytes { (bytes) throws(PosixError) -> IOResult<Int> in
                try send(UnsafeRawBufferPointer(bytes))
            }
            guard case .processed(let count) = result else { return false }
            buffer.moveReaderIndex(forwardBy: count)
        }
        return true
    }
}
