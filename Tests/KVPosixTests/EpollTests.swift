import Glibc
import Testing

@testable import KVPosix

@Suite struct EpollTests {
    @Test func reportsReadableThenHangupWhenPeerCloses() throws {
        let (client, server) = try connectedPair()
        defer { try? server.close() }
        let epoll = try Epoll()
        defer { try? epoll.close() }
        var events = EpollEvents(capacity: 8)
        try epoll.add(server.fd, interest: [.readable, .peerClosed], data: 42)
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 0) == 0)

        try client.close()
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 2000) == 1)
        let event = events[0]
        #expect(event.data == 42)
        #expect(event.isHangup)
        #expect(event.isReadable)
        var byte: UInt8 = 0
        #expect(try withUnsafeMutableBytes(of: &byte) { try server.receive(into: $0) } == .processed(0))
    }

    @Test func writableInterestCanBeAddedAndRemoved() throws {
        let (client, server) = try connectedPair()
        defer {
            try? client.close()
            try? server.close()
        }
        let epoll = try Epoll()
        defer { try? epoll.close() }
        var events = EpollEvents(capacity: 4)
        try epoll.add(client.fd, interest: .readable, data: 1)
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 0) == 0)
        try epoll.modify(client.fd, interest: [.readable, .writable], data: 2)
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 1000) == 1)
        #expect(events[0].isWritable && events[0].data == 2)
        try epoll.remove(client.fd)
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 0) == 0)
    }

    @Test func wakeupInterruptsWaitFromAnotherThread() throws {
        let epoll = try Epoll()
        let wakeup = try Wakeup()
        defer {
            try? wakeup.close()
            try? epoll.close()
        }
        try epoll.add(wakeup.fd, interest: .readable, data: 7)
        let thread = try PosixThread.spawn(name: "waker") {
            usleep(20_000)
            wakeup.signal()
            wakeup.signal()
        }
        var events = EpollEvents(capacity: 4)
        let started = Posix.monotonicNanoseconds()
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 5000) == 1)
        #expect(Posix.monotonicNanoseconds() - started < milliseconds(4000))
        #expect(events[0].data == 7)
        thread.join()
        #expect(wakeup.drain())
        #expect(!wakeup.drain())
        #expect(try epoll.wait(into: &events, timeoutMilliseconds: 0) == 0)
    }
}
