import Testing
@testable import KVBenchCore

/// The driver against an in-memory transport: what it sends where, when it probes, syncs, replaces and
/// reopens connections, and what a failure reports.
@Suite struct FuzzDriverTests {
    /// Cases `c0`, `c1`, …; every `disconnectEvery`-th one ends in a reset.
    struct CountingSource: FuzzCaseSource {
        var count = 0
        var disconnectEvery = 0

        mutating func next() -> FuzzCase {
            defer { count += 1 }
            let ending: FuzzCase.Ending = disconnectEvery > 0 && count % disconnectEvery == disconnectEvery - 1 ? .reset : .keepOpen
            return FuzzCase(bytes: Array("c\(count)\n".utf8), ending: ending, summary: "case \(count)", mutations: ["m\(count % 2)"])
        }

        var skipped: [(reason: String, count: Int)] { [("none", 0)] }
    }

    final class Lane: FuzzLane {
        let transport: Transport
        let id: Int
        init(_ transport: Transport, _ id: Int) { self.transport = transport; self.id = id }

        func send(_ bytes: [UInt8], deadline: UInt64) throws(FuzzTransportError) {
            let text = String(decoding: bytes.dropLast(), as: UTF8.self)
            if text == transport.failOn { throw FuzzTransportError(.reset, "lane \(id) reset") }
            transport.events.append("send \(id) \(text)")
        }

        func sync(deadline: UInt64) throws(FuzzTransportError) { transport.events.append("sync \(id)") }

        func close(reset: Bool) { transport.events.append("close \(id)\(reset ? " reset" : "")") }
    }

    final class Transport: FuzzTransport {
        var events: [String] = []
        var lanesOpened = 0
        var failOn: String?
        var probeFails = false

        func setUp() throws(FuzzTransportError) { events.append("setUp") }

        func openLane(_ index: Int) throws(FuzzTransportError) -> Lane {
            defer { lanesOpened += 1 }
            events.append("open \(lanesOpened) as \(index)")
            return Lane(self, lanesOpened)
        }

        func probe() throws(FuzzTransportError) -> [UInt64] {
            events.append("probe")
            if probeFails { throw FuzzTransportError(.timeout, "the healthy client's PING: no answer") }
            return [1_000, 2_000]
        }

        func housekeep() throws(FuzzTransportError) { events.append("housekeep") }
        func tearDown() { events.append("tearDown") }
    }

    @Test func batchesAreSentRoundRobinThenProbedThenSynced() {
        let transport = Transport()
        var configuration = FuzzConfiguration(seed: 1, cases: 5)
        configuration.connections = 2
        configuration.batchSize = 3
        let report = FuzzDriver(configuration, source: CountingSource(), transport: transport).run()
        #expect(transport.events == [
            "setUp",
            "open 0 as 0", "send 0 c0", "open 1 as 1", "send 1 c1", "send 0 c2", "probe", "sync 0", "sync 1",
            "send 1 c3", "send 0 c4", "probe", "sync 0", "sync 1",
            "close 0", "close 1", "tearDown",
        ])
        #expect(report.failure == nil)
        #expect(report.casesSent == 5 && report.batches == 2 && report.probes == 2)
        #expect(report.health.count == 4 && report.health.maximum == 2_000)
        #expect(report.mutations.map(\.name) == ["m0", "m1"] && report.mutations.map(\.count) == [3, 2])
    }

    @Test func aDisconnectingCaseGetsAFreshConnection() {
        let transport = Transport()
        var configuration = FuzzConfiguration(seed: 1, cases: 4)
        configuration.connections = 1
        configuration.batchSize = 4
        let report = FuzzDriver(configuration, source: CountingSource(disconnectEvery: 2), transport: transport).run()
        #expect(transport.events == [
            "setUp", "open 0 as 0", "send 0 c0", "send 0 c1", "close 0 reset", "open 1 as 0", "send 1 c2", "send 1 c3",
            "close 1 reset", "probe", "tearDown",
        ])
        #expect(report.disconnects == 2)
    }

    @Test func connectionsAreReplacedAfterTheirShareOfCases() {
        let transport = Transport()
        var configuration = FuzzConfiguration(seed: 1, cases: 3)
        configuration.connections = 1
        configuration.casesPerConnection = 2
        _ = FuzzDriver(configuration, source: CountingSource(), transport: transport).run()
        #expect(transport.events == [
            "setUp", "open 0 as 0", "send 0 c0", "send 0 c1", "sync 0", "close 0", "open 1 as 0", "send 1 c2",
            "probe", "sync 1", "close 1", "tearDown",
        ])
    }

    @Test func housekeepingRunsBetweenBatches() {
        let transport = Transport()
        var configuration = FuzzConfiguration(seed: 1, cases: 6)
        configuration.connections = 1
        configuration.batchSize = 2
        configuration.housekeepingEvery = 2
        _ = FuzzDriver(configuration, source: CountingSource(), transport: transport).run()
        // After batch 2, not after the last one.
        #expect(transport.events.filter { $0 == "housekeep" }.count == 1)
        #expect(transport.events.firstIndex(of: "housekeep")! > transport.events.firstIndex(of: "send 0 c3")!)
    }

    @Test func aFailureNamesTheSeedTheBatchAndTheLastCases() {
        let transport = Transport()
        transport.failOn = "c5"
        var configuration = FuzzConfiguration(seed: 99, cases: 100)
        configuration.connections = 2
        configuration.batchSize = 4
        configuration.remembered = 3
        let report = FuzzDriver(configuration, source: CountingSource(), transport: transport).run()
        guard let failure = report.failure else { Issue.record("no failure reported"); return }
        #expect(failure.kind == .reset)
        #expect(failure.seed == 99 && failure.batch == 1 && failure.cases == 4..<8)
        #expect(failure.recent.map(\.index) == [3, 4, 5])
        #expect(failure.recent.last?.lane == 1 && failure.recent.last?.preview == "c5\\n")
        #expect(failure.what.hasPrefix("lane 1 reset; the server still answers the healthy client"))
        #expect(report.casesSent == 5)
        #expect(transport.events.last == "tearDown", "the server is left as found even after a failure")
        let text = failure.description
        #expect(text.contains("seed 99, batch 1 (cases 4..<8)") && text.contains("#5 conn 1: case 5"))
    }

    @Test func anUnansweredHealthyClientIsAFailure() {
        let transport = Transport()
        transport.probeFails = true
        var configuration = FuzzConfiguration(seed: 5, cases: 10)
        configuration.batchSize = 4
        let report = FuzzDriver(configuration, source: CountingSource(), transport: transport).run()
        #expect(report.failure?.kind == .timeout)
        #expect(report.probes == 0 && report.casesSent == 4)
        #expect(report.failure?.what.contains("then the healthy client's PING: no answer") == true)
    }
}

@Suite struct FuzzReportTests {
    @Test func previewEscapesAndShortens() {
        #expect(FuzzReport.preview(Array("PUT a \"b\"\t\\\r\n".utf8) + [0, 0xff]) == "PUT a \"b\"\\t\\\\\\r\\n\\x00\\xff")
        let long = FuzzReport.preview(Array(repeating: UInt8(ascii: "x"), count: 1000), head: 4, tail: 2)
        #expect(long == "xxxx…(1000 bytes)…xx")
    }

    @Test func figuresNameEachNumber() {
        var report = FuzzReport(seed: 3)
        report.casesSent = 10
        report.seconds = 90
        report.health.record(2_000_000)
        report.skipped = [("deepTxnNesting", 4)]
        let figures = report.figures()
        #expect(figures.contains("fuzz.cases: 10 cases"))
        #expect(figures.contains("fuzz.minutes: 1.50 min"))
        #expect(figures.contains("fuzz.healthy_max: 2.000 ms"))
        #expect(figures.contains("fuzz.skipped_known_crash.deepTxnNesting: 4 cases"))
        #expect(figures.last == "fuzz.failures: 0 failures")
    }
}

@Suite struct FuzzCommandTests {
    @Test func optionsParseAndReplay() throws {
        let o = try FuzzCommand.Options.parse(["--endpoints", "127.0.0.1:23790,x:1", "--cases", "1m", "--seed", "0x10",
                                               "--conns", "8", "--auth", "--max-request-bytes", "4096"], defaultSeed: 5)
        #expect(o.endpoint == "127.0.0.1:23790" && o.cases == 1_000_000 && o.seed == 16 && o.connections == 8 && o.auth)
        #expect(o.limits == FuzzLimits(maxRequestBytes: 4096, maxTxnOps: 128))
        #expect(o.replay(cases: 128) == "kvbench fuzz --endpoints 127.0.0.1:23790 --seed 16 --cases 128 --conns 8 --batch 64 --max-request-bytes 4096 --max-txn-ops 128 --auth --trace")
        #expect(try FuzzCommand.Options.parse([], defaultSeed: 5).seed == 5)
        #expect(throws: UsageError.self) { try FuzzCommand.Options.parse(["--seed", "x"], defaultSeed: 5) }
        #expect(throws: UsageError.self) { try FuzzCommand.Options.parse(["--bogus", "1"], defaultSeed: 5) }
    }

    @Test func markerSearchFindsNeedlesAcrossTheBuffer() {
        func contains(_ haystack: String, _ needle: String) -> Bool {
            Array(haystack.utf8).withUnsafeBytes { h in Array(needle.utf8).withUnsafeBytes { LineLane.contains(h, $0) } }
        }
        #expect(contains("OK\n@fz.1 OK\n", "@fz.1 OK"))
        #expect(contains("@fz.1 OK", "@fz.1 OK"))
        #expect(!contains("@fz.1 O", "@fz.1 OK"))
        #expect(!contains("@@fz.2 OK @fz.1 ERR", "@fz.1 OK"))
        #expect(!contains("", "@"))
    }
}
