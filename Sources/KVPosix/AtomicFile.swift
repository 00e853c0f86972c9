import Glibc
import Synchronization

/// Writes a file so that it is either absent/unchanged or complete, never partial: the data goes to a
/// temporary file in the same directory, which is `fsync`ed, renamed over the target, and then the
/// directory is `fsync`ed so the rename itself is durable. A crash or kill at any point leaves the
/// old file (if any) intact and at worst a stray temporary file beside it, named
/// `<file>.tmp-<pid>-<n>` (the writing process, a per-process counter), which
/// `removeStaleTemporaries(of:)` finds and removes.
public enum AtomicFile {
    private static let nextTemporary = Atomic<Int>(0)

    /// The temporary file a write to `path` goes through: `<path>.tmp-<pid>-<n>`.
    static func temporaryPath(for path: String) -> String {
        "\(path).tmp-\(getpid())-\(nextTemporary.wrappingAdd(1, ordering: .relaxed).oldValue)"
    }

    /// The process that made `name`, when `name` is a temporary file of a write to `fileName`
    /// (`<fileName>.tmp-<pid>-<n>`, both decimal); nil for any other name.
    public static func temporaryOwner(of name: String, for fileName: String) -> pid_t? {
        let prefix = fileName + ".tmp-"
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let pid = pid_t(parts[0]), pid > 0, Int(parts[1]) != nil else { return nil }
        return pid
    }

    /// Removes the temporary files interrupted writes to `path` left beside it (a `kill -9` or a crash
    /// during a write): every `<file>.tmp-<pid>-<n>` whose process is gone, or is this one (a process
    /// that reuses a dead writer's pid). Call it before this process starts writing `path`. A temporary
    /// file of another running process (a write in progress) and every other name are left alone.
    /// - Returns: the names removed, with their sizes in bytes.
    public static func removeStaleTemporaries(of path: String) throws(PosixError) -> [(name: String, bytes: Int)] {
        let directory = parentDirectory(of: path)
        let fileName = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        guard let dir = opendir(directory) else { throw PosixError(call: "opendir", code: errno) }
        defer { closedir(dir) }
        var removed: [(name: String, bytes: Int)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let owner = temporaryOwner(of: name, for: fileName) else { continue }
            if owner != getpid() && (kill(owner, 0) == 0 || errno == EPERM) { continue }
            let full = directory + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(full) == 0 {
                removed.append((name, Int(info.st_size)))
            } else if errno != ENOENT {
                throw PosixError(call: "unlink", code: errno)
            }
        }
        return removed
    }
    /// Creates or replaces `path` with what `produce` writes through the sink it is given.
    /// If `produce` throws, the temporary file is removed and the error rethrown; the target is untouched.
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func write(_ path: String, mode: mode_t = 0o600,
                             _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Int {
        let directory = parentDirectory(of: path)
        let temporary = temporaryPath(for: path)
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
