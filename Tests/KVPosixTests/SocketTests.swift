import Glibc
import Testing

@testable import KVPosix

@Suite struct SocketTests {
    @Test func listensOnEphemeralPort() throws {
        let (listener, address) = try loopbackListener()
        defer { try? listener.close() }
        #expect(address.port != 0)
        #expect(address.host == "127.0.0.1")
    }

    @Test func acceptWouldBlockWhenNothingPending() throws {
        let (listener, _) = try loopbackListener()
        defer { try? listener.close() }
        #expect(try listener.accept() == .wouldBlock)
    }

    @Test func connectAcceptRoundTrip() throws {
        let (client, server) = try connectedPair()
        defer {
            try? client.close()
            try? server.close()
        }
        #expect(try client.peerAddress() == server.localAddress())
        let message: [UInt8] = Array("ping".utf8)
        #expect(try message.withUnsafeBytes { try client.send($0) } == .processed(4))
        try server.fd.setNonBlocking(false)
        try server.setReceiveTimeout(nanoseconds: milliseconds(2000))
        #expect(try receiveExactly(server, count: 4) == message)
    }

    @Test func connectToClosedPortIsRefused() throws {
        let (listener, address) = try loopbackListener()
        try listener.close()
        let error = #expect(throws: PosixError.self) {
            _ = try Socket.connect(to: address, timeoutNanoseconds: milliseconds(2000))
        }
        #expect(error?.code == ECONNREFUSED)
        #expect(error?.description == "connect: Connection refused (ECONNREFUSED)")
    }

    @Test func connectTimeoutIsBounded() throws {
        // A listener that never accepts, with its queue full: the kernel drops further SYNs,
        // so the next connect can only time out.
        let (listener, address) = try loopbackListener(backlog: 0)
        defer { try? listener.close() }
        var fillers: [Socket] = []
        defer { for socket in fillers { try? socket.close() } }
        for _ in 0..<4 {
            if let socket = try? Socket.connect(to: address, timeoutNanoseconds: milliseconds(100), nonBlocking: true) {
                fillers.append(socket)
            }
        }
        let started = Posix.monotonicNanoseconds()
        let error = #expect(throws: PosixError.self) {
            let socket = try Socket.connect(to: address, timeoutNanoseconds: milliseconds(200))
            try? socket.close()
        }
        let elapsed = Posix.monotonicNanoseconds() - started
        #expect(error?.code == ETIMEDOUT)
        #expect(error?.description == "connect: Connection timed out (ETIMEDOUT)")
        #expect(elapsed >= milliseconds(190))
        #expect(elapsed < milliseconds(1500))
    }

    @Test func partialWritesUntilWouldBlock() throws {
        let (client, server) = try connectedPair()
        defer {
            try? client.close()
            try? server.close()
        }
        try client.setSendBufferSize(4096)
        try server.setReceiveBufferSize(4096)
        let chunk = [UInt8](repeating: 0x61, count: 65536)
        var sent = 0
        var sawPartial = false
        var blocked = false
        for _ in 0..<10_000 {
            switch try chunk.withUnsafeBytes({ try client.send($0) }) {
            case .processed(let n):
                if n < chunk.count { sawPartial = true }
                sent += n
            case .wouldBlock:
                blocked = true
            }
            if blocked { break }
        }
        #expect(blocked)
        #expect(sawPartial)
        #expect(sent > 0 && sent < 64 << 20)

        // Everything accepted by send arrives, and a vectored send continues after draining.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Posix.monotonicNanoseconds() + milliseconds(5000)
        while received < sent && Posix.monotonicNanoseconds() < deadline {
            if case .processed(let n) = try buffer.withUnsafeMutableBytes({ try server.receive(into: $0) }) {
                #expect(n > 0)
                received += n
            } else {
                usleep(1000)
            }
        }
        #expect(received == sent)

        let first = [UInt8]("abc".utf8), second = [UInt8]("defg".utf8)
        let written = try first.withUnsafeBytes { a in
            try second.withUnsafeBytes { b in
                let vectors = [
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count),
                ]
                return try vectors.withUnsafeBufferPointer { try client.send(vectors: $0) }
            }
        }
        #expect(written == .processed(7))
        try server.fd.setNonBlocking(false)
        try server.setReceiveTimeout(nanoseconds: milliseconds(2000))
        #expect(try receiveExactly(server, count: 7) == Array("abcdefg".utf8))
    }

    @Test func sendToClosedPeerIsAnErrorNotASignal() throws {
        let (client, server) = try connectedPair()
        defer { try? client.close() }
        try server.close()
        let byte: [UInt8] = [1]
        // The first send may be accepted locally; a later one fails with EPIPE or ECONNRESET.
        var failure: PosixError?
        for _ in 0..<100 where failure == nil {
            do {
                _ = try byte.withUnsafeBytes { try client.send($0) }
                usleep(1000)
            } catch {
                failure = error as? PosixError
            }
        }
        #expect(failure?.code == EPIPE || failure?.code == ECONNRESET)
    }

    @Test func shutdownWriteDeliversEndOfStream() throws {
        let (client, server) = try connectedPair()
        defer {
            try? client.close()
            try? server.close()
        }
        try client.shutdown(.write)
        try server.fd.setNonBlocking(false)
        try server.setReceiveTimeout(nanoseconds: milliseconds(2000))
        var byte: UInt8 = 0
        #expect(try withUnsafeMutableBytes(of: &byte) { try server.receive(into: $0) } == .processed(0))
    }
}
