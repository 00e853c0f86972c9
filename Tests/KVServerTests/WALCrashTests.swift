import Glibc
import KVClient
import KVPosix
import KVProtocol
import KVStore
import KVSync
import KVWAL
import Synchronization
import TestSupport
import Testing
@testable import KVServer

private func temporaryDirectory() -> String {
    var template = Array("/tmp/kvserver-wal-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

/// The promise of a durable data dir, checked on the real binary: a server `kill -9`ed at a random
/// moment while eight clients write loses no acknowledged write, and shows no unacknowledged one out of
/// order. `KV_CRASH_CYCLES` sets the number of kills (3 here; `scripts/wal-crash-test.sh` runs 20).
@Suite(.serialized)
struct WALCrashTests {
    static var cycles: Int {
        getenv("KV_CRASH_CYCLES").flatMap { Int(String(cString: $0)) } ?? 3
    }

    /// `interval=1s` too: its replies wait for the log's write (not its sync), so a crash of the process
    /// alone loses nothing acknowledged either.
    @Test(arguments: ["always", "interval=1s"])
    func killedServersLoseNoAcknowledgedWrite(sync: String) throws {
        let data = temporaryDirectory() + "/member"
        var random = SystemRandomNumberGenerator()
        let writers = 8
        // Per writer: the highest sequence number acknowledged, and its revision, over all cycles.
        var acknowledged = [(sequence: Int, revision: Int64)](repeating: (-1, 0), count: writers)
        for cycle in 0..<WALCrashTests.cycles {
            // Small log segments, so that snapshots and segment removal happen during the run too.
            let server = try ServerProcess(arguments: ["--data-dir", data, "--snapshot-count", "300", "--wal-sync", sync])
            // Everything acknowledged before is there, with its revision; each writer's keys form a prefix.
            let reader = try KVClient(endpoints: [server.endpoint])
            for writer in 0..<writers {
                guard case .range(let found) = try reader.call(.range(RangeRequest(key: b("w\(writer)/"), rangeEnd: b("w\(writer)0")))) else {
                    Issue.record("range"); return
                }
                let sequences = found.kvs.map { Int(String(decoding: $0.key.dropFirst("w\(writer)/".count), as: UTF8.self))! }.sorted()
                #expect(sequences == Array(0..<sequences.count), "cycle \(cycle) writer \(writer): no gap")
                #expect(sequences.count > acknowledged[writer].sequence, "cycle \(cycle) writer \(writer): acknowledged up to \(acknowledged[writer].sequence), found \(sequences.count) keys")
                if acknowledged[writer].sequence >= 0 {
                    let key = b("w\(writer)/\(String(format6(acknowledged[writer].sequence)))")
                    guard case .range(let last) = try reader.call(.range(RangeRequest(key: key))) else { Issue.record("range"); return }
                    #expect(last.kvs.first?.modRevision == acknowledged[writer].revision, "cycle \(cycle) writer \(writer): same revision")
                }
                // Continue after whatever is there (an unacknowledged last write may have survived).
                acknowledged[writer].sequence = sequences.count - 1
            }
            reader.close()
            let progress = Locked(acknowledged)
            let stop = Atomic<Bool>(false)
            let threads = try (0..<writers).map { writer in
                let client = try KVClient(endpoints: [server.endpoint], commandTimeout: .seconds(10))
                return try PosixThread.spawn(name: "writer") {
                    var next = progress.withLock { $0[writer].sequence } + 1
                    while !stop.load(ordering: .relaxed) {
                        let key = b("w\(writer)/\(format6(next))")
                        guard case .put(let put)? = try? client.call(.put(PutRequest(key: key, value: b("\(next)")))) else { break }
                        progress.withLock { $0[writer] = (next, put.header.revision) }
                        next += 1
                    }
                    client.close()
                }
            }
            var pause = timespec(tv_sec: 0, tv_nsec: Int.random(in: 150_000_000...600_000_000, using: &random))
            nanosleep(&pause, nil)
            server.kill()
            stop.store(true, ordering: .relaxed)
            threads.forEach { $0.join() }
            acknowledged = progress.withLock { $0 }
            #expect(acknowledged.allSatisfy { $0.sequence >= 0 }, "cycle \(cycle): every writer got writes acknowledged")
        }
        print("WALCrashTests (--wal-sync \(sync)): \(WALCrashTests.cycles) kill -9 cycles, \(acknowledged.reduce(0) { $0 + $1.sequence + 1 }) writes acknowledged by 8 writers, every one found after each restart")
        // A last clean start and stop: the data dir is consistent and keeps everything.
        let last = try ServerProcess(arguments: ["--data-dir", data])
        let client = try KVClient(endpoints: [last.endpoint])
        for writer in 0..<writers {
            guard case .range(let found) = try client.call(.range(RangeRequest(key: b("w\(writer)/"), rangeEnd: b("w\(writer)0"), countOnly: true))) else {
                Issue.record("range"); return
            }
            #expect(found.count > Int64(acknowledged[writer].sequence))
        }
        client.close()
        #expect(last.terminate() == 0)
    }

    /// A second server on the same data dir is refused at start, naming the first one's pid.
    @Test func aDataDirServesOneServerAtATime() throws {
        let data = temporaryDirectory() + "/member"
        let first = try ServerProcess(arguments: ["--data-dir", data])
        let port = try ServerProcess.freePort()
        let second = try ShellCommand.run("\(productsDirectory())/kvserver --data-dir \(data) --listen-client-urls 127.0.0.1:\(port)", seconds: 20)
        #expect(second.status == 1)
        let output = second.output
        #expect(output.contains("data dir \(data) is in use by another kvserver (pid \(first.pid))"), "\(output)")
        #expect(first.terminate() == 0)
    }
}

/// Zero-padded, so that keys sort in write order.
private func format6(_ n: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}


extension WALCrashTests {
    /// A put's reply arrives only after its record is in the log file (kvserver's own bytes on disk,
    /// read back the way recovery does).
    @Test func anAcknowledgedWriteIsAlreadyInTheLog() throws {
        let data = temporaryDirectory() + "/member"
        let server = try ServerProcess(arguments: ["--data-dir", data])
        let client = try KVClient(endpoints: [server.endpoint])
        for i in 0..<20 {
            guard case .put(let put) = try client.call(.put(PutRequest(key: b("ack/\(i)"), value: b("v\(i)")))) else {
                Issue.record("put"); return
            }
            // Read the log as it is now, with the server still running.
            var last: JournalRecord?
            _ = try WALRecovery.recover(directory: data + "/wal", storage: PosixWALStorage()) { _, record in
                last = record
                return true
            }
            #expect(last == .changes(revision: put.header.revision, [.put(key: b("ack/\(i)"), value: b("v\(i)"), lease: 0)]), "put \(i)")
        }
        client.close()
        #expect(server.terminate() == 0)
    }
}

/// A full disk under the real binary: the log's directory on a small tmpfs (mounting needs root; the
/// test says so and skips otherwise).
@Suite(.serialized)
struct WALFullDiskTests {
    @Test func aFullDiskRefusesWritesKeepsReadsAndRecovers() throws {
        let mountPoint = temporaryDirectory()
        let mounted = try ShellCommand.run("mount -t tmpfs -o size=3m tmpfs \(mountPoint)", seconds: 10)
        guard mounted.status == 0 else {
            print("WALFullDiskTests: skipped — cannot mount a tmpfs to fill (\(mounted.output.split(separator: "\n").first ?? "not root?"))")
            return
        }
        defer { _ = try? ShellCommand.run("umount -l \(mountPoint)", seconds: 10) }
        // A filler to free later, and the data dir beside it.
        #expect(try ShellCommand.run("head -c 1200000 /dev/zero > \(mountPoint)/filler", seconds: 10).status == 0)
        let data = mountPoint + "/member"
        let logFile = temporaryDirectory() + "/server.log"
        let server = try ServerProcess(arguments: ["--data-dir", data], logFile: logFile)
        let reader = try KVClient(endpoints: [server.endpoint])
        _ = try reader.call(.put(PutRequest(key: b("before"), value: b("durable"))))
        // Fill the disk: some put is not answered (its batch could not be written), or is refused.
        let value = [UInt8](repeating: 0x61, count: 100_000)
        var held: [UInt8]? = nil
        for i in 0..<60 where held == nil {
            let writer = try KVClient(endpoints: [server.endpoint], commandTimeout: .seconds(2))
            let key = b("fill/\(i)")
            do {
                _ = try writer.call(.put(PutRequest(key: key, value: value)))
            } catch {
                held = key
            }
            writer.close()
        }
        let heldKey = try #require(held, "the disk filled up")
        // New writes are refused with etcd's words; reads go on.
        do {
            _ = try reader.call(.put(PutRequest(key: b("refused"), value: b("x"))))
            Issue.record("a write was accepted on a full disk")
        } catch {
            #expect("\(error)".contains("database space exceeded"), "\(error)")
        }
        guard case .range(let before) = try reader.call(.range(RangeRequest(key: b("before")))) else { Issue.record("range"); return }
        #expect(before.kvs.first?.valueString == "durable", "reads keep working")
        guard case .alarm(let alarms) = try reader.call(.alarm(.list)) else { Issue.record("alarm"); return }
        #expect(alarms.alarms.map(\.alarm) == ["NOSPACE"])
        // Space returns: the held write is written, writes are accepted again.
        #expect(try ShellCommand.run("rm \(mountPoint)/filler", seconds: 10).status == 0)
        var accepted = false
        for _ in 0..<50 where !accepted {
            accepted = (try? reader.call(.put(PutRequest(key: b("after"), value: b("ok"))))) != nil
            if !accepted {
                var pause = timespec(tv_sec: 0, tv_nsec: 200_000_000)
                nanosleep(&pause, nil)
            }
        }
        #expect(accepted, "writes accepted once the disk has room")
        reader.close()
        server.kill()
        let log = try ShellCommand.run("cat \(logFile)", seconds: 10).output
        #expect(log.contains("No space left on device") && log.contains("writing works again"), "\(log)")
        // Everything written survives a crash, the write that waited for the disk included.
        let restarted = try ServerProcess(arguments: ["--data-dir", data])
        let client = try KVClient(endpoints: [restarted.endpoint])
        for key in [b("before"), heldKey, b("after")] {
            guard case .range(let found) = try client.call(.range(RangeRequest(key: key))) else { Issue.record("range"); return }
            #expect(found.count == 1, "\(String(decoding: key, as: UTF8.self)) survived")
        }
        client.close()
        #expect(restarted.terminate() == 0)
    }
}
