import KVClient
import Testing
@testable import KVBenchCore

@Suite struct OptionsTests {
    @Test func defaultsFollowEtcdBenchmark() throws {
        let o = try LoadOptions.parse(.put, [])
        #expect(o.endpoint == "127.0.0.1:2379")
        #expect(o.connections == 1 && o.clients == 1 && o.pipeline == 1)
        #expect(o.keySize == 8 && o.valueSize == 256 && o.keySpaceSize == 1)
        #expect(o.timeoutSeconds == 60)
        #expect(o.name == "put")
    }

    @Test func bothFlagSpellings() throws {
        let o = try LoadOptions.parse(.put, ["--conns=50", "--clients", "50", "--total", "100k", "--sequential-keys",
                                             "--key-space-size", "1_000_000", "--endpoints", "127.0.0.1:1,127.0.0.1:2",
                                             "--timeout", "500ms"])
        #expect(o.connections == 50 && o.clients == 50 && o.total == 100_000)
        #expect(o.sequentialKeys && o.keySpaceSize == 1_000_000)
        #expect(o.endpoint == "127.0.0.1:1")
        #expect(o.timeoutSeconds == 0.5)
    }

    @Test func rangePositionalsAndBooleans() throws {
        let o = try LoadOptions.parse(.range, ["--prefix", "abc", "--limit", "10", "--serializable"])
        #expect(o.rangeKey == "abc" && o.rangeEnd == nil && o.prefix && o.limit == 10 && o.serializable)
        let p = try LoadOptions.parse(.range, ["a", "z"])
        #expect(p.rangeKey == "a" && p.rangeEnd == "z")
    }

    @Test func mistakesAreReported() {
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--bogus", "1"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--conns", "0"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--total", "x"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--total"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["stray"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.range, []) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.range, ["a", "b", "--prefix"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--key-size", "2", "--key-space-size", "1000"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.txn, ["--txn-ops", "4"]) }
        #expect(throws: UsageError.self) { try LoadOptions.parse(.get, ["--limit", "3"]) }
    }

    @Test func clientsAreDealtOverConnections() throws {
        #expect(try LoadOptions.parse(.put, ["--conns", "3", "--clients", "7"]).windows == [3, 2, 2])
        #expect(try LoadOptions.parse(.put, ["--conns", "50", "--clients", "50", "--pipeline", "16"]).windows == Array(repeating: 16, count: 50))
        #expect(try LoadOptions.parse(.put, ["--conns", "10", "--clients", "2"]).windows == [1, 1])
    }
}

@Suite struct RequestSourceTests {
    func lines(_ source: inout RequestSource, _ n: Int) -> [String] {
        var out: [String] = []
        var buffer = [UInt8](repeating: 0, count: source.lineLength)
        for _ in 0..<n {
            buffer.withUnsafeMutableBytes { source.write(to: $0.baseAddress!) }
            out.append(String(decoding: buffer, as: UTF8.self))
        }
        return out
    }

    @Test func sequentialPutsCycleTheKeySpace() throws {
        let o = try LoadOptions.parse(.put, ["--val-size", "3", "--key-space-size", "3", "--sequential-keys"])
        var source = RequestSource.put(o)
        #expect(lines(&source, 4) == ["PUT 00000000 xxx\n", "PUT 00000001 xxx\n", "PUT 00000002 xxx\n", "PUT 00000000 xxx\n"])
    }

    @Test func randomKeysStayInTheKeySpace() throws {
        let o = try LoadOptions.parse(.get, ["--key-size", "4", "--key-space-size", "10"])
        var source = RequestSource.get(o)
        var seen = Set<String>()
        for line in lines(&source, 500) {
            #expect(line.hasPrefix("GET 000") && line.hasSuffix("\n") && line.count == 9)
            seen.insert(line)
        }
        #expect(seen.count == 10)
    }

    @Test func txnWritesDistinctKeys() throws {
        let o = try LoadOptions.parse(.txn, ["--txn-ops", "2", "--key-space-size", "2", "--val-size", "1", "--key-size", "2", "--sequential-keys"])
        var source = RequestSource.txn(o)
        #expect(lines(&source, 2) == ["TXN THEN PUT 00 x PUT 01 x END\n", "TXN THEN PUT 01 x PUT 00 x END\n"])
    }

    @Test func rangeTemplateIsFixed() throws {
        let o = try LoadOptions.parse(.range, ["foo", "--prefix", "--limit", "5"])
        var source = RequestSource.range(o)
        let line = lines(&source, 1)[0]
        #expect(line.hasPrefix("GET foo fop") && line.contains("--limit=5"))
    }

    @Test func watchLines() throws {
        let o = try LoadOptions.parse(.watch, ["--watched-key-total", "2", "--watched-key-size", "3"])
        #expect(String(decoding: RequestSource.watchLine(o, watcher: 3), as: UTF8.self) == "@w3 WATCH 001\n")
    }
}

@Suite struct SummaryTests {
    @Test func fixedDecimals() {
        #expect(Summary.fixed(2.00714, 4) == "2.0071")
        #expect(Summary.fixed(0.00005, 4) == "0.0001")
        #expect(Summary.fixed(49812.12345, 4) == "49812.1235")
        #expect(Summary.fixed(0.999999, 3) == "1.000")
        #expect(Summary.fixed(-1.5, 1) == "-1.5")
        #expect(Summary.fixed(12.6, 0) == "13")
    }

    @Test func statusTokens() {
        func status(_ s: String) -> LineStatus { Array(s.utf8).withUnsafeBytes { LineStatus.classify($0) } }
        #expect(status("OK rev=1") == .ok)
        #expect(status("OK") == .ok)
        #expect(status("@t7 OK rev=2") == .ok)
        #expect(status("ERR ARGS \"x\"") == .error)
        #expect(status("@w EVENT rev=3") == .event)
        #expect(status("OKAY") == .other)
        #expect(status("") == .other)
    }

    @Test func summaryLayout() {
        var h = Histogram()
        for i in 1...1000 { h.record(UInt64(i) * 10_000) }
        let r = RunResult(name: "put", histogram: h, seconds: 2, errors: 0, cpuSeconds: 0.01)
        let text = Summary.render(r)
        #expect(text.contains("Summary:\n  Total:\t2.0000 secs.\n  Slowest:\t0.0100 secs.\n  Fastest:\t0.0000 secs."))
        #expect(text.contains("  Requests/sec:\t500.0000\n"))
        #expect(text.contains("Response time histogram:\n"))
        #expect(text.contains("  99.9% in 0.0100 secs.\n"))
        #expect(text.contains("Client CPU: 0.010 s (10.00 µs/op)"))
        let figures = Summary.figures(r)
        #expect(figures.contains("put.requests_per_sec: 500 ops/s"))
        #expect(figures.contains("put.client_cpu_us_per_op: 10.00 us"))
        #expect(figures.contains { $0.hasPrefix("put.p99_ms: 9.9") })
    }
}

extension OptionsTests {
    @Test func tlsFlags() throws {
        let secure = try LoadOptions.parse(.put, ["--endpoints", "https://127.0.0.1:2379,https://other:1", "--cacert", "ca.pem"])
        #expect(secure.endpoint == "127.0.0.1:2379" && secure.host == "127.0.0.1")
        #expect(secure.tls == ClientTLS.Configuration(caFile: "ca.pem"))
        let plain = try LoadOptions.parse(.put, ["--endpoints", "http://localhost:2379"])
        #expect(plain.endpoint == "localhost:2379" && plain.tls == nil)
        let skip = try LoadOptions.parse(.get, ["--insecure-skip-tls-verify", "--cert", "c.pem", "--key", "k.pem"])
        #expect(skip.tls == ClientTLS.Configuration(certFile: "c.pem", keyFile: "k.pem", skipVerify: true))
        #expect(throws: UsageError.self) { try LoadOptions.parse(.put, ["--cert", "c.pem"]) }
    }
}
