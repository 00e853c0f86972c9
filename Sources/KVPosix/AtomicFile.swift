import Glibc

/// Writes a file so that it is either absent/unchanged or complete, never partial: the data goes to a
/// temporary file in the same directory, which is `fsync`ed, renamed over the target, and then the
/// directory is `fsync`ed so the rename itself is durable. A crash or kill at any point leaves the
/// old file (if any) intact and at worst a stray `*.tmp-*` file beside it.
public enum AtomicFile {
    /// Creates or replaces `path` with what `produce` writes through the sink it is given.
    /// If `produce` throws, the temporary file is removed and the error rethrown; the target is untouched.
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func write(_ path: String, mode: mode_t = 0o600,
                             _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Int {
        let directory = parentDirectory(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(Posix.monotonicNanoseconds() % 1_000_000)"
        let fd = try Posix.call("open") { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        var written = 0
        do {
            try produce { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = try Posix.call("write") {
                        Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    }
                    offset += n
                }
                written += buffer.count
            }
            _ = try Posix.call("fsync") { fsync(fd) }
            try Posix.close(fd)
        } catch {
            try? Posix.close(fd)
            unlink(temporary)
            throw error
        }
        do {
            _ = try Posix.call("rename") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        let dirfd = try Posix.call("open") { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { try? Posix.close(dirfd) }
        _ = try Posix.call("fsync") { fsync(dirfd) }
        return written
    }

    /// The directory part of a path ("." for a bare file name).
    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}

/// A file opened for reading, handing out its bytes in order; the shape a snapshot reader wants.
public final class FileReader {
    private let fd: Int32
    public let path: String

    /// - Throws: `PosixError` naming `open` (e.g. ENOENT) when the file cannot be opened.
    public init(path: String) throws(PosixError) {
        self.path = path
        fd = try Posix.call("open") { open(path, O_RDONLY | O_CLOEXEC) }
    }

    deinit { try? Posix.close(fd) }

    /// Fills the start of `buffer`; returns how many bytes were read, 0 at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> Int {
        guard buffer.count > 0 else { return 0 }
        return try Posix.call("read") { Glibc.read(fd, buffer.baseAddress!, buffer.count) }
    }

    /// The file's size in bytes.
    public func size() throws(PosixError) -> Int {
        var info = stat()
        _ = try Posix.call("fstat") { fstat(fd, &info) }
        return Int(info.st_size)
    }
}
