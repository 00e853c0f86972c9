import Glibc

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`): a soft limit, which `open`,
/// `accept` and friends run into (`EMFILE`), and a hard limit, up to which an unprivileged process may
/// raise its soft limit.
public struct DescriptorLimit: Equatable, Sendable, CustomStringConvertible {
    public var soft: UInt64
    public var hard: UInt64

    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    /// `RLIM_INFINITY` (all ones) as a number ("unlimited" in `description`).
    public static let unlimited = UInt64.max

    public var description: String {
        func text(_ value: UInt64) -> String { value == DescriptorLimit.unlimited ? "unlimited" : "\(value)" }
        return "\(text(soft)) (hard limit \(text(hard)))"
    }

    /// The limits now.
    public static func current() throws(PosixError) -> DescriptorLimit {
        var limit = rlimit()
        _ = try Posix.call("getrlimit") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return DescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit, as etcd and Redis do at start, so a server is not held
    /// to the shell's customary 1,024 descriptors. A hard limit of "unlimited" cannot be the soft limit
    /// of descriptors on Linux; the kernel's ceiling (`/proc/sys/fs/nr_open`) is used then.
    /// - Returns: the limits before and after (equal when the soft limit already was the hard one).
    /// - Throws: when `setrlimit` refuses (the limits are then unchanged).
    public static func raiseSoftToHard() throws(PosixError) -> (before: DescriptorLimit, after: DescriptorLimit) {
        let before = try current()
        var target = before.hard
        if target == unlimited { target = kernelCeiling() ?? before.soft }
        guard target > before.soft else { return (before, before) }
        var limit = rlimit(rlim_cur: rlim_t(target), rlim_max: rlim_t(before.hard))
        _ = try Posix.call("setrlimit") { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return (before, try current())
    }

    /// `/proc/sys/fs/nr_open`: the most descriptors the kernel lets one process have.
    static func kernelCeiling() -> UInt64? {
        let fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { try? Posix.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        return UInt64(String(decoding: bytes[..<count], as: UTF8.self).trimmingSuffix(while: { $0 == "\n" }))
    }
}

private extension String {
    func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[..<end]
    }
}
