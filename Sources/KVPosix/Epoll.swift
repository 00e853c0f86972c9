import CEpoll
import Glibc

/// What an epoll registration waits for.
public struct EpollInterest: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data (or end of stream, or a pending connection) can be read.
    public static let readable = EpollInterest(rawValue: cepoll_in())
    /// Send buffer space is available. Ask for it only after a short write, or the loop spins.
    public static let writable = EpollInterest(rawValue: cepoll_out())
    /// Report the peer shutting down its writing side (`EPOLLRDHUP`) as a hangup.
    public static let peerClosed = EpollInterest(rawValue: cepoll_rdhup())
    /// Edge-triggered: report a change of readiness once, not while it lasts. The handler must
    /// then read/write until `.wouldBlock`, or it will not hear about that descriptor again.
    public static let edgeTriggered = EpollInterest(rawValue: cepoll_et())
    /// Disable the registration after one event until it is modified again.
    public static let oneShot = EpollInterest(rawValue: cepoll_oneshot())
}

/// One readiness report from ``Epoll/wait(into:timeoutMilliseconds:)``.
public struct EpollEvent: Hashable, Sendable {
    /// The user data given when the descriptor was registered.
    public let data: UInt64
    /// The raw `EPOLL*` mask.
    public let mask: UInt32

    public init(data: UInt64, mask: UInt32) {
        self.data = data
        self.mask = mask
    }

    public var isReadable: Bool { mask & cepoll_in() != 0 }
    public var isWritable: Bool { mask & cepoll_out() != 0 }
    /// The connection is over in at least one direction: `EPOLLHUP` (both sides closed or reset)
    /// or `EPOLLRDHUP` (peer closed its writing side, if `.peerClosed` was asked for). Epoll
    /// always reports `EPOLLHUP`, whatever the interest set.
    public var isHangup: Bool { mask & (cepoll_hup() | cepoll_rdhup()) != 0 }
    /// A pending socket error (`EPOLLERR`), e.g. a reset; always reported.
    public var isError: Bool { mask & cepoll_err() != 0 }
}

/// A preallocated array that ``Epoll/wait(into:timeoutMilliseconds:)`` fills, so waiting does
/// not allocate. Its capacity bounds how many events one wait returns.
public struct EpollEvents: ~Copyable {
    private let storage: UnsafeMutableRawPointer
    public let capacity: Int
    /// How many events the last wait returned.
    public private(set) var count: Int = 0

    public init(capacity: Int) {
        precondition(capacity > 0 && capacity <= Int(Int32.max) / 16, "invalid epoll event capacity")
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * cepoll_event_size(), alignment: MemoryLayout<UInt64>.alignment)
    }

    deinit { storage.deallocate() }

    /// The `index`-th event of the last wait; `index` must be below ``count``.
    public subscript(index: Int) -> EpollEvent {
        precondition(index >= 0 && index < count, "epoll event index out of range")
        return EpollEvent(
            data: cepoll_event_data(storage, Int32(index)), mask: cepoll_event_mask(storage, Int32(index)))
    }

    mutating func fill(epoll: Int32, timeoutMilliseconds: Int32) throws(PosixError) {
        count = 0
        let storage = self.storage
        let capacity = Int32(self.capacity)
        count = Int(try Posix.call("epoll_wait") { cepoll_wait(epoll, storage, capacity, timeoutMilliseconds) })
    }
}

/// An epoll instance (close-on-exec).
///
/// Registration calls may come from any thread (the kernel serializes them); waiting should be
/// done by one thread. The owner closes it once with ``close()``.
public struct Epoll: Hashable, Sendable {
    public let fd: FileDescriptor

    public init() throws(PosixError) {
        fd = FileDescriptor(rawValue: try Posix.call("epoll_create1") { epoll_create1(cepoll_cloexec()) })
    }

    /// Starts watching `target`; `data` comes back in every ``EpollEvent`` for it.
    /// Throws `EEXIST` if it is already registered.
    public func add(_ target: FileDescriptor, interest: EpollInterest, data: UInt64) throws(PosixError) {
        try control(EPOLL_CTL_ADD, target, interest, data, name: "epoll_ctl(ADD)")
    }

    /// Replaces the interest set and data of a registered descriptor.
    public func modify(_ target: FileDescriptor, interest: EpollInterest, data: UInt64) throws(PosixError) {
        try control(EPOLL_CTL_MOD, target, interest, data, name: "epoll_ctl(MOD)")
    }

    /// Stops watching `target`. Closing a descriptor also removes it (once no duplicate of it is
    /// open), so this is needed only for descriptors that stay open.
    public func remove(_ target: FileDescriptor) throws(PosixError) {
        try control(EPOLL_CTL_DEL, target, [], 0, name: "epoll_ctl(DEL)")
    }

    /// Waits until at least one event is ready or `timeoutMilliseconds` pass (-1 = no limit,
    /// 0 = poll), fills `events` and returns how many were ready (0 on timeout). Does not allocate.
    /// A signal interrupting the wait is retried with the full timeout.
    @discardableResult
    public func wait(into events: inout EpollEvents, timeoutMilliseconds: Int32) throws(PosixError) -> Int {
        try events.fill(epoll: fd.rawValue, timeoutMilliseconds: timeoutMilliseconds)
        return events.count
    }

    public func close() throws(PosixError) {
        try fd.close()
    }

    private func control(
        _ operation: Int32, _ target: FileDescriptor, _ interest: EpollInterest, _ data: UInt64,
        name: StaticString
    ) throws(PosixError) {
        _ = try Posix.call(name) { cepoll_ctl(fd.rawValue, operation, target.rawValue, interest.rawValue, data) }
    }
}
