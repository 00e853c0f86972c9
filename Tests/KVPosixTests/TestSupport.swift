import Glibc

@testable import KVPosix

/// A value shared between the test thread and a loop thread.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: PosixMutex<Value>
    init(_ value: Value) { mutex = PosixMutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Polls `condition` every millisecond for at most `milliseconds`; returns its last value.
func waitUntil(milliseconds: Int = 5000, _ condition: () -> Bool) -> Bool {
    let deadline = Posix.monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
    while !condition() {
        if Posix.monotonicNanoseconds() > deadline { return condition() }
        usleep(1000)
    }
    return true
}

/// Runs `body` with a started loop, and always stops and joins it afterwards.
func withLoop<R>(
    _ configuration: EventLoop.Configuration = .init(name: "test-loop"), _ body: (EventLoop) throws -> R
) throws -> R {
    let loop = try EventLoop(configuration: configuration)
    try loop.start()
    defer {
        loop.stop()
        loop.join()
    }
    return try body(loop)
}

func milliseconds(_ value: UInt64) -> UInt64 { value * 1_000_000 }

/// A listener on 127.0.0.1 with an ephemeral port.
func loopbackListener(backlog: Int32 = 16) throws -> (Socket, SocketAddress) {
    let listener = try Socket.listen(on: .loopbackIPv4(port: 0), backlog: backlog)
    return (listener, try listener.localAddress())
}

/// A connected (client, server) pair over loopback; both non-blocking.
func connectedPair() throws -> (client: Socket, server: Socket) {
    let (listener, address) = try loopbackListener()
    defer { try? listener.close() }
    let client = try Socket.connect(to: address, timeoutNanoseconds: milliseconds(2000), nonBlocking: true)
    var server: Socket?
    _ = waitUntil {
        if case .processed(let accepted)? = try? listener.accept() { server = accepted }
        return server != nil
    }
    guard let server else { throw PosixError(call: "accept4", code: ETIMEDOUT) }
    return (client, server)
}

/// Reads from a blocking socket (with a receive timeout set) until `count` bytes or EOF/timeout.
func receiveExactly(_ socket: Socket, count: Int) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < count {
        let result = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
        guard case .processed(let n) = result, n > 0 else { break }
        bytes.append(contentsOf: chunk[..<n])
    }
    return bytes
}
