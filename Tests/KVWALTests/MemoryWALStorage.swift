import Glibc
import KVSync
@testable import KVWAL

/// An in-memory file system for the log, which can fail, tear or forget writes on request: what the
/// recovery code is driven through in these tests.
///
/// Each file keeps its bytes and how many of them were synced; `crash` keeps only what a power cut
/// would (the synced bytes, plus any prefix of the rest).
final class MemoryWALStorage: WALStorage, @unchecked Sendable {
    struct File {
        var bytes: [UInt8] = []
        var synced = 0
    }

    /// What the next operations do wrong.
    struct Faults {
        /// Writes fail with this errno (after writing `tornBytes` of what they were given).
        var writeErrno: Int32?
        var tornBytes = 0
        /// Syncs fail with this errno.
        var syncErrno: Int32?
        /// Writes accept at most this many bytes at a time (short writes).
        var maximumWrite = Int.max
    }

    let state = Locked<(files: [String: File], faults: Faults, writes: Int, syncs: Int)>(([:], Faults(), 0, 0))

    func setFaults(_ faults: Faults) { state.withLock { $0.faults = faults } }

    var files: [String: File] { state.withLock { $0.files } }

    func bytes(of path: String) -> [UInt8] { state.withLock { $0.files[path]?.bytes ?? [] } }

    func setBytes(_ bytes: [UInt8], of path: String) {
        state.withLock { $0.files[path] = File(bytes: bytes, synced: bytes.count) }
    }

    /// A power cut: every file keeps its synced bytes and `keep(path, unsynced)` more of the rest.
    func crash(keeping keep: (String, Int) -> Int) {
        state.withLock { state in
            for (path, file) in state.files {
                let unsynced = file.bytes.count - file.synced
                let kept = min(unsynced, max(0, keep(path, unsynced)))
                state.files[path]!.bytes = Array(file.bytes[0..<(file.synced + kept)])
                state.files[path]!.synced = state.files[path]!.bytes.count
            }
        }
    }

    func fileNames(in directory: String) throws(WALError) -> [String] {
        let prefix = directory + "/"
        return state.withLock { state in
            state.files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
    }

    func contents(of path: String) throws(WALError) -> [UInt8] {
        guard let file = state.withLock({ $0.files[path] }) else { throw .io("open", path: path, errno: ENOENT) }
        return file.bytes
    }

    func create(_ path: String) throws(WALError) -> any WALFile {
        let created = state.withLock { state -> Bool in
            guard state.files[path] == nil else { return false }
            state.files[path] = File()
            return true
        }
        guard created else { throw .io("open", path: path, errno: EEXIST) }
        return MemoryWALFile(storage: self, path: path)
    }

    func openForAppending(_ path: String) throws(WALError) -> any WALFile {
        guard state.withLock({ $0.files[path] != nil }) else { throw .io("open", path: path, errno: ENOENT) }
        return MemoryWALFile(storage: self, path: path)
    }

    func remove(_ path: String) throws(WALError) {
        state.withLock { _ = $0.files.removeValue(forKey: path) }
    }

    func syncDirectory(_ directory: String) throws(WALError) {}
    func makeDirectory(_ directory: String) throws(WALError) {}
}

final class MemoryWALFile: WALFile, @unchecked Sendable {
    let storage: MemoryWALStorage
    let path: String

    init(storage: MemoryWALStorage, path: String) {
        self.storage = storage
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(WALError) -> Int {
        let outcome: (Int, Int32?) = storage.state.withLock { state in
            state.writes += 1
            let faults = state.faults
            if let code = faults.writeErrno {
                let torn = min(faults.tornBytes, bytes.count)
                state.files[path]!.bytes.append(contentsOf: bytes[0..<torn])
                return (0, code)
            }
            let count = min(bytes.count, faults.maximumWrite)
            state.files[path]!.bytes.append(contentsOf: bytes[0..<count])
            return (count, nil)
        }
        if let code = outcome.1 { throw .io("write", path: path, errno: code) }
        return outcome.0
    }

    func sync() throws(WALError) {
        let failed: Int32? = storage.state.withLock { state in
            state.syncs += 1
            if let code = state.faults.syncErrno { return code }
            state.files[path]!.synced = state.files[path]!.bytes.count
            return nil
        }
        if let failed { throw .io("fdatasync", path: path, errno: failed) }
    }

    func truncate(to length: Int) throws(WALError) {
        storage.state.withLock { state in
            let file = state.files[path]!
            state.files[path]!.bytes = Array(file.bytes.prefix(length))
            state.files[path]!.synced = min(file.synced, length)
        }
    }

    func close() {}
}
