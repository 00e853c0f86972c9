import Glibc
import KVClient
import KVProtocol
import KVStore
import Synchronization
import Testing
@testable import KVServer

@Suite struct LoadTests {
    @Test func tenThousandPipelinedRequestsInOneWrite() throws {
        let server = try TestServer()
        let client = try server.client(commandTimeout: .seconds(60))
        var requests: [Request] = []
        for index in 0..<5000 {
            requests.append(.put(PutRequest(key: b("key-\(index)"), value: b("value-\(index)"))))
            requests.append(.range(RangeRequest(key: b("key-\(index)"))))
        }
        let results = try client.pipeline(requests)
        #expect(results.count == 10_000)
        for index in stride(from: 0, to: 10_000, by: 2) {
            guard case .success(.put(let put)) = results[index], case .success(.range(let range)) = results[index + 1] else {
                Issue.record("result \(index)"); return
            }
            #expect(put.header.revision == Int64(index / 2 + 2))
            #expect(range.kvs.first?.value == b("value-\(index / 2)"))
        }
        // Errors stay per request.
        let mixed = try client.pipeline([.ping, .put(PutRequest(key: [], value: b("x"))), .ping])
        #expect(mixed.count == 3)
        if case .failure(let error) = mixed[1] { #expect(error.code == "EMPTY_KEY") } else { Issue.record("expected failure") }
        server.stop()
    }

    @Test func fiveHundredConcurrentConnections() throws {
        raiseDescriptorLimit(to: 4096)
        let server = try TestServer()
        var clients: [KVClient] = []
        for _ in 0..<500 { clients.append(try server.client()) }
        #expect(eventually { server.server.state.connectionCount.load(ordering: .relaxed) == 500 })
        let failures = Atomic<Int>(0)
        let threads = 8
        let shared = clients
        DispatchLikeGroup.run(threads) { worker in
            for index in stride(from: worker, to: shared.count, by: threads) {
                do {
                    _ = try shared[index].call(.put(PutRequest(key: b("c\(index)"), value: b("v"))))
                    guard case .range(let read) = try shared[index].call(.range(RangeRequest(key: b("c\(index)")))),
                          read.kvs.count == 1 else { failures.add(1, ordering: .relaxed); continue }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(server.store.keyCount == 500)
        for client in clients { client.close() }
        #expect(eventually { server.server.state.connectionCount.load(ordering: .relaxed) == 0 })
        server.stop()
    }

    @Test func maxConnectionsRefusesWithAClearError() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try server.client()
        let second = try server.client()
        let error = try #require(throws: ClientError.self) { _ = try server.client() }
        #expect(error.wire == .tooManyConnections("kvserver: too many client connections (--max-connections 2)"))
        // Over the wire: one line with its own code, then the connection is closed.
        let raw = try server.raw()
        #expect(try raw.line() == #"ERR TOO_MANY_CONNECTIONS "kvserver: too many client connections (--max-connections 2)""#)
        #expect(raw.readsEndOfStream())
        _ = try first.call(.ping)
        _ = try second.call(.ping)
        server.stop()
    }
}

func raiseDescriptorLimit(to wanted: rlim_t) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < wanted {
        limit.rlim_cur = min(wanted, limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Runs `body(worker)` on `count` threads and waits for all of them.
enum DispatchLikeGroup {
    static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        var threads: [PosixThreadHandle] = []
        for worker in 0..<count { threads.append(PosixThreadHandle { body(worker) }) }
        for thread in threads { thread.join() }
    }
}

import KVPosix

struct PosixThreadHandle {
    let thread: PosixThread
    init(_ body: @escaping @Sendable () -> Void) {
        thread = try! PosixThread.spawn(name: "test-worker", body)
    }
    func join() { thread.join() }
}
