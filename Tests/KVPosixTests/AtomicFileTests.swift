import Glibc
import Testing
@testable import KVPosix

struct AtomicFileTests {
    private func temporaryDirectory() -> String {
        var template = Array("/tmp/kvposix-atomic-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    private func contents(_ path: String) throws -> [UInt8] {
        let reader = try FileReader(path: path)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return bytes }
            bytes += buffer[..<n]
        }
    }

    private func entries(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test func writesAndReplacesWhole() throws {
        let dir = temporaryDirectory()
        let path = dir + "/snap.db"
        let n = try AtomicFile.write(path) { sink in
            try [UInt8]("hello ".utf8).withUnsafeBytes(sink)
            try [UInt8]("world".utf8).withUnsafeBytes(sink)
        }
        #expect(n == 11)
        #expect(try contents(path) == Array("hello world".utf8))
        try AtomicFile.write(path) { sink in try [UInt8]("second".utf8).withUnsafeBytes(sink) }
        #expect(try contents(path) == Array("second".utf8))
        #expect(entries(dir) == ["snap.db"], "no temporary file left behind")
        #expect(try FileReader(path: path).size() == 6)
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporary() throws {
        struct Interrupted: Error {}
        let dir = temporaryDirectory()
        let path = dir + "/snap.db"
        try AtomicFile.write(path) { sink in try [UInt8]("good".utf8).withUnsafeBytes(sink) }
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(path) { sink in
                try [UInt8]("partial".utf8).withUnsafeBytes(sink)
                throw Interrupted()
            }
        }
        #expect(try contents(path) == Array("good".utf8))
        #expect(entries(dir) == ["snap.db"])
    }

    @Test func missingFilesAndDirectoriesAreClearErrors() {
        #expect(throws: PosixError.self) { try FileReader(path: "/nonexistent/dir/file") }
        do {
            try AtomicFile.write("/nonexistent/dir/file") { _ in }
            Issue.record("wrote into a missing directory")
        } catch {
            #expect("\(error)".contains("open"))
            #expect("\(error)".contains("ENOENT"))
        }
        #expect(AtomicFile.parentDirectory(of: "a/b/c") == "a/b")
        #expect(AtomicFile.parentDirectory(of: "file") == ".")
        #expect(AtomicFile.parentDirectory(of: "/file") == "/")
    }
}
