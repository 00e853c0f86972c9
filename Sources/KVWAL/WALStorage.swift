import Glibc

/// The file operations the log needs, behind a protocol so that tests can put a layer underneath that
/// fails, tears or forgets writes at chosen points (`PosixWALStorage` is the real one).
public protocol WALStorage: Sendable {
    /// Names of the entries of a directory (not `.` or `..`).
    func fileNames(in directory: String) throws(WALError) -> [String]
    /// A whole file's bytes.
    func contents(of path: String) throws(WALError) -> [UInt8]
    /// Creates a new, empty file for appending (it must not exist).
    func create(_ path: String) throws(WALError) -> any WALFile
    /// Opens an existing file for appending at its end.
    func openForAppending(_ path: String) throws(WALError) -> any WALFile
    func remove(_ path: String) throws(WALError)
    /// Makes created, renamed and removed names in `directory` durable.
    func syncDirectory(_ directory: String) throws(WALError)
    /// Creates `directory` (mode 0700) unless it exists.
    func makeDirectory(_ directory: String) throws(WALError)
}

/// A file the log appends to.
public protocol WALFile: AnyObject, Sendable {
    /// Appends some of `bytes` (possibly fewer: the caller writes the rest). - Returns: the count written.
    func write(_ bytes: UnsafeRawBufferPointer) throws(WALError) -> Int
    /// `fdatasync`: everything written so far is on the disk.
    func sync() throws(WALError)
    /// Cuts the file to `length` bytes (after a failed write, before it is written again).
    func truncate(to length: Int) throws(WALError)
    func close()
}

extension WALFile {
    /// Appends all of `bytes`, however many writes it takes.
    func writeAll(_ bytes: [UInt8]) throws(WALError) {
        let result: Result<Void, WALError> = bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                do throws(WALError) {
                    offset += try write(UnsafeRawBufferPointer(rebasing: all[offset...]))
                } catch {
                    return .failure(error)
                }
            }
            return .success(())
        }
        try result.get()
    }
}

/// The real file system.
public struct PosixWALStorage: WALStorage {
    public init() {}

    public func fileNames(in directory: String) throws(WALError) -> [String] {
        guard let dir = opendir(directory) else { throw .io("opendir", path: directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func contents(of path: String) throws(WALError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open", path: path) }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("read", path: path)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    public func create(_ path: String) throws(WALError) -> any WALFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("open", path: path) }
        return PosixWALFile(fd: fd, path: path)
    }

    public func openForAppending(_ path: String) throws(WALError) -> any WALFile {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open", path: path) }
        return PosixWALFile(fd: fd, path: path)
    }

    public func remove(_ path: String) throws(WALError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io("unlink", path: path) }
    }

    public func syncDirectory(_ directory: String) throws(WALError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open", path: directory) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .io("fsync", path: directory) }
    }

    public func makeDirectory(_ directory: String) throws(WALError) {
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else { throw .io("mkdir", path: directory) }
    }
}

/// A file descriptor opened for appending. Used by one thread at a time (the log's writer).
final class PosixWALFile: WALFile, @unchecked Sendable {
    private var fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    func write(_ bytes: UnsafeRawBufferPointer) throws(WALError) -> Int {
        while true {
            let n = Glibc.write(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            if errno != EINTR { throw .io("write", path: path) }
        }
    }

    func sync() throws(WALError) {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw .io("fdatasync", path: path) }
        }
    }

    func truncate(to length: Int) throws(WALError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw .io("ftruncate", path: path) }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
