import Glibc
import KVClient
import KVPosix
import Testing

/// The real binary at its file-descriptor limit: it raises its soft limit to the hard one at start, and
/// when it has no descriptor left it still answers every new connection (with `TOO_MANY_CONNECTIONS`,
/// then closes it) instead of leaving it unanswered in the backlog, logging that once per interval.
@Suite(.serialized) struct DescriptorLimitTests {
    private func temporaryFile() -> String {
        var template = Array("/tmp/kvserver-log-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private func lines(of path: String) -> [String] {
        guard let reader = try? FileReader(path: path) else { return [] }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while let n = try? buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }), n > 0 { bytes += buffer[..<n] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static let outOfDescriptors = #"ERR TOO_MANY_CONNECTIONS "kvserver: out of file descriptors (limit 64); try again later""#

    @Test func connectionsPastTheLimitAreAnsweredAndClosed() throws {
        raiseDescriptorLimit(to: 1024)
        let log = temporaryFile()
        let server = try ServerProcess(arguments: [], descriptorLimit: (soft: 64, hard: 64), logFile: log)
        defer { _ = server.terminate() }
        var served: [RawConnection] = []
        var refused = 0
        for index in 0..<150 {
            let raw = try RawConnection(endpoint: server.endpoint, timeout: 2_000_000_000)
            try raw.send("PING\n")
            let reply = try? raw.line()
            if reply == "OK" {
                served.append(raw)
            } else {
                try #require(reply == Self.outOfDescriptors, "connection \(index) was answered")
                #expect(raw.readsEndOfStream(), "and closed")
                refused += 1
            }
        }
        #expect(served.count >= 40, "the server serves up to its limit")
        #expect(refused == 150 - served.count)
        // Descriptors freed are used again, and the served connections still work.
        served.removeLast(10)
        #expect(eventually {
            guard let raw = try? RawConnection(endpoint: server.endpoint, timeout: 2_000_000_000) else { return false }
            try? raw.send("PING\n")
            return (try? raw.line()) == "OK"
        })
        for raw in served.prefix(5) {
            try raw.send("PING\n")
            #expect(try raw.line() == "OK")
        }
        let logged = lines(of: log)
        #expect(logged.contains { $0.hasSuffix("file descriptor limit: 64 (hard limit 64)") })
        // Over a hundred refusals, one line so far (the count of the rest follows after the interval).
        #expect(logged.filter { $0.contains("out of file descriptors") }.count == 1, "\(logged)")
    }

    @Test func theSoftLimitIsRaisedToTheHardLimitAtStart() throws {
        let log = temporaryFile()
        let server = try ServerProcess(arguments: [], descriptorLimit: (soft: 64, hard: 512), logFile: log)
        defer { _ = server.terminate() }
        let limits = lines(of: "/proc/\(server.pid)/limits").first { $0.hasPrefix("Max open files") }
        #expect(limits?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["512", "512"])
        #expect(lines(of: log).contains { $0.hasSuffix("file descriptor limit raised from 64 to 512 (hard limit 512)") })
    }
}
