import Glibc

/// A failed system call: which call failed and the `errno` it reported.
///
/// `description` reads like `connect: Connection refused (ECONNREFUSED)`, so the error can be
/// logged or shown to a user as is. Errors that can only come from a bug in the caller
/// (`EBADF`, `EFAULT`) are never thrown: they stop the process with a precondition failure.
public struct PosixError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The name of the failed call, e.g. `"connect"`.
    public let call: String
    /// The `errno` value.
    public let code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// The symbolic name of `code`, e.g. `"ECONNREFUSED"`, or `"errno 123"` when unknown.
    public var name: String { PosixError.symbol(for: code) ?? "errno \(code)" }

    /// The C library's message for `code`, e.g. `"Connection refused"`.
    public var message: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            // The XSI strerror_r fills `buffer` and returns 0, or an errno when `code` is unknown.
            guard strerror_r(code, buffer.baseAddress!, buffer.count) == 0 else {
                return "Unknown error \(code)"
            }
            return String(cString: buffer.baseAddress!)
        }
    }

    public var description: String { "\(call): \(message) (\(name))" }

    /// True for the errno values that mean "try again later" on a non-blocking descriptor.
    public var isWouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Symbolic names for the errno values this layer can plausibly see.
    static func symbol(for code: Int32) -> String? {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case ENOSPC: "ENOSPC"
        case EPIPE: "EPIPE"
        case ENOSYS: "ENOSYS"
        case ENOTSOCK: "ENOTSOCK"
        case EDESTADDRREQ: "EDESTADDRREQ"
        case EMSGSIZE: "EMSGSIZE"
        case EPROTOTYPE: "EPROTOTYPE"
        case ENOPROTOOPT: "ENOPROTOOPT"
        case EPROTONOSUPPORT: "EPROTONOSUPPORT"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case EAFNOSUPPORT: "EAFNOSUPPORT"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case ENETDOWN: "ENETDOWN"
        case ENETUNREACH: "ENETUNREACH"
        case ENETRESET: "ENETRESET"
        case ECONNABORTED: "ECONNABORTED"
        case ECONNRESET: "ECONNRESET"
        case ENOBUFS: "ENOBUFS"
        case EISCONN: "EISCONN"
        case ENOTCONN: "ENOTCONN"
        case ETIMEDOUT: "ETIMEDOUT"
        case ECONNREFUSED: "ECONNREFUSED"
        case EHOSTDOWN: "EHOSTDOWN"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case EALREADY: "EALREADY"
        case EINPROGRESS: "EINPROGRESS"
        default: nil
        }
    }
}
