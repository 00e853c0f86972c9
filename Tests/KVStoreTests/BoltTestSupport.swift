import Glibc
@testable import KVStore

/// Helpers for the bbolt tests: writing a database to bytes, reading every bucket back, and bbolt
/// itself (`scripts/bolt-oracle`, built with Go from Debian's bbolt sources) as an oracle when present.
enum BoltTestSupport {
    static func write(_ buckets: [(name: [UInt8], entries: [(key: [UInt8], value: [UInt8])])], pageSize: Int = 4096,
                      chunk: Int = 1 << 16) -> [UInt8] {
        let writer = BoltWriter(buckets: buckets.map { ($0.name, BoltArrayEntries($0.entries) as any BoltEntries) }, pageSize: pageSize)
        var bytes: [UInt8] = []
        while writer.nextPages(into: &bytes, maxBytes: chunk) {}
        return bytes
    }

    /// Every bucket with its entries, after `check()`; also etcdctl's status digest (CRC-32C of names,
    /// keys, values; entry count).
    static func read(_ bytes: [UInt8]) throws -> (buckets: [[UInt8]: [(key: [UInt8], value: [UInt8])]], crc: UInt32, entries: Int) {
        try bytes.withUnsafeBytes { file in
            let reader = try BoltReader(file)
            try reader.check()
            var result: [[UInt8]: [(key: [UInt8], value: [UInt8])]] = [:]
            var crc = CRC32C()
            var entries = 0
            var pages = PageSet(count: reader.meta.pageCount)
            for bucket in try reader.buckets() {
                crc.update(bucket.name)
                var list: [(key: [UInt8], value: [UInt8])] = []
                try reader.forEach(in: bucket.root, pages: &pages) { key, value, _, _ in
                    crc.update(key)
                    crc.update(value)
                    list.append((Array(key), Array(value)))
                    entries += 1
                }
                result[bucket.name] = list
            }
            return (result, crc.value, entries)
        }
    }

    /// The oracle binary, built once per test process; nil (with the reason printed) when Go or the
    /// bbolt sources are missing.
    nonisolated(unsafe) static let oracle: String? = {
        let path = "/tmp/kv-bolt-oracle-\(getpid())"
        let source = repositoryRoot + "/scripts/bolt-oracle/main.go"
        let status = shell("GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=/tmp/kv-gocache GOFLAGS=-mod=mod timeout 120 go build -o \(path) \(source) >/dev/null 2>&1")
        guard status == 0 else {
            print("bbolt oracle unavailable (needs go and Debian's golang-github-coreos-bbolt-dev): skipping its comparisons")
            return nil
        }
        return path
    }()

    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// bbolt's verdict per file: "ok <crc> <entries>" or "refused …".
    static func oracleVerdicts(_ files: [String]) -> [String: String] {
        guard let oracle, !files.isEmpty else { return [:] }
        var verdicts: [String: String] = [:]
        for batch in stride(from: 0, to: files.count, by: 500) {
            let list = files[batch..<min(files.count, batch + 500)].joined(separator: " ")
            let out = "/tmp/kv-bolt-oracle-out-\(getpid())"
            _ = shell("timeout 300 \(oracle) \(list) > \(out) 2>&1")
            for line in readFile(out).split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2 { verdicts[String(parts[0])] = String(parts[1]) }
            }
            unlink(out)
        }
        return verdicts
    }

    @discardableResult
    static func shell(_ command: String) -> Int32 {
        var child: pid_t = 0
        let argv: [String] = ["/bin/sh", "-c", command]
        var args = argv.map { strdup($0) } + [nil]
        defer { for p in args { free(p) } }
        guard posix_spawn(&child, "/bin/sh", nil, nil, &args, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "open \(path)")
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            precondition(n > 0)
            offset += n
        }
    }

    static func readFile(_ path: String) -> String {
        String(decoding: readBytes(path), as: UTF8.self)
    }

    static func readBytes(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }
}
