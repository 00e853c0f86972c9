import Glibc

/// A write-ahead log failure: an I/O error on a named file, or a log that cannot be trusted (a bad
/// record in the middle, a gap between segments). Messages name the file and, for bad bytes, the offset.
public struct WALError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// A system call failed with this errno.
        case io(call: String, errno: Int32)
        /// The log's bytes are wrong at this offset of the file.
        case corrupt(offset: Int)
        /// Segments do not follow one another, or the log and the snapshot disagree.
        case inconsistent
    }

    public var kind: Kind
    public var path: String
    public var reason: String

    public init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// An I/O error from `call` on `path` with the current `errno`.
    static func io(_ call: String, path: String, errno code: Int32 = errno) -> WALError {
        WALError(.io(call: call, errno: code), path: path, reason: String(cString: strerror(code)))
    }

    /// The disk is full (`ENOSPC`, or `EDQUOT` for a quota).
    public var isNoSpace: Bool {
        if case .io(_, let code) = kind { return code == ENOSPC || code == EDQUOT }
        return false
    }

    public var description: String {
        switch kind {
        case .io(let call, _): "\(call) \(path): \(reason)"
        case .corrupt(let offset): "\(path): bad record at byte \(offset): \(reason)"
        case .inconsistent: "\(path): \(reason)"
        }
    }
}
