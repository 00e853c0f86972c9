import Glibc

/// One descriptor held in reserve (on `/dev/null`) for the moment the process runs out: freeing it lets
/// a server accept one pending connection it has no descriptor for, tell the client why, close it, and
/// take the spare back — rather than leave the connection unanswered in the backlog while the listening
/// socket stays readable (the trick nginx and Redis use). Not thread-safe: one owner, one thread.
public final class SpareDescriptor {
    private var fd: Int32 = -1

    /// Takes the spare (if a descriptor is free).
    public init() { _ = reacquire() }

    deinit { _ = release() }

    /// Whether the spare is held.
    public var isHeld: Bool { fd >= 0 }

    /// Closes the spare so its descriptor can be used; false when none was held.
    public func release() -> Bool {
        guard fd >= 0 else { return false }
        try? Posix.close(fd)
        fd = -1
        return true
    }

    /// Takes the spare back; false when no descriptor is free (another thread took it meanwhile).
    public func reacquire() -> Bool {
        if fd < 0 { fd = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        return fd >= 0
    }
}
