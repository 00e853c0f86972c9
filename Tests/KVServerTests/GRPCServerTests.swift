import EtcdWire
import HPACK
import KVPosix
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// etcd's gRPC API over the client port, driven by a test client that speaks HTTP/2 and gRPC by hand.
/// (Real clients — etcdctl, python-etcd3, Go's clientv3 — are in `RealClientTests`.)
@Suite struct GRPCServerTests {
    private func response(_ method: EtcdMethod, _ call: GRPCTestClient.Call) throws -> Response {
        #expect(call.status == 0, "\(call.message ?? "")")
        let message = try #require(call.messages.first)
        return try #require(try EtcdWire.decodeResponse(method, message))
    }

    @Test func putThenRangeThroughGRPC() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        let put = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))))
        guard case .put(let putResponse) = try response(.put, put) else { Issue.record("not a put: \(put)"); return }
        #expect(putResponse.header.revision == 2)
        #expect(put.headers.contains(HeaderField("content-type", "application/grpc")))

        let range = try client.unary(.request(.range(RangeRequest(key: b("a")))))
        let decoded = try response(.range, range)
        guard case .range(let rangeResponse) = decoded else { Issue.record("not a range: \(decoded)"); return }
        #expect(rangeResponse.kvs.map(\.key) == [b("a")])
        #expect(rangeResponse.kvs.first?.value == b("1"))
        #expect(rangeResponse.count == 1)
        server.stop()
    }

    @Test func largeRangeAndManyCallsOnOneConnection() throws {
        let server = try TestServer()
        let store = server.server.state.store
        for index in 0..<3000 { _ = try store.put(PutRequest(key: b("k\(100_000 + index)"), value: [UInt8](repeating: 1, count: 100))) }
        let client = try GRPCTestClient(endpoint: server.endpoint)
        // More than the client's initial 64 KiB window and the server's loop budget: read on the worker,
        // sent under flow control.
        let range = try client.unary(.request(.range(RangeRequest(key: b("k"), rangeEnd: b("l")))))
        guard case .range(let all) = try response(.range, range) else { Issue.record("not a range"); return }
        #expect(all.kvs.count == 3000 && all.count == 3000)
        for index in 0..<50 {
            let call = try client.unary(.request(.range(RangeRequest(key: b("k\(100_000 + index)")))))
            guard case .range(let one) = try response(.range, call) else { Issue.record("not a range"); return }
            #expect(one.kvs.count == 1)
        }
        server.stop()
    }

    @Test func errorsCarryEtcdsStatusAndText() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        _ = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))))
        _ = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("2")))))
        _ = try client.unary(.request(.compact(CompactionRequest(revision: 3))))
        let old = try client.unary(.request(.range(RangeRequest(key: b("a"), revision: 2))))
        #expect(old.status == 11)
        #expect(old.message == "etcdserver: mvcc: required revision has been compacted")
        #expect(old.messages.isEmpty)
        let future = try client.unary(.request(.range(RangeRequest(key: b("a"), revision: 99))))
        #expect(future.status == 11)
        #expect(future.message == "etcdserver: mvcc: required revision is a future revision")
        let empty = try client.unary(.request(.put(PutRequest(key: [], value: b("x")))))
        #expect(empty.status == 3)
        #expect(empty.message == "etcdserver: key is not provided")
        let lease = try client.unary(.request(.leaseRevoke(12345)))
        #expect(lease.status == 5)
        #expect(lease.message == "etcdserver: requested lease not found")
        server.stop()
    }

    @Test func unknownMethodsAndBadMessages() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        var call = GRPCTestClient.Call()
        let unknownMethod = try client.open(.range, path: "/etcdserverpb.KV/Frobnicate", endStream: true)
        try client.finish(unknownMethod, into: &call)
        #expect(call.status == 12)
        #expect(call.message == "unknown method Frobnicate for service etcdserverpb.KV")
        call = GRPCTestClient.Call()
        let unknownService = try client.open(.range, path: "/foo.Bar/Baz", endStream: true)
        try client.finish(unknownService, into: &call)
        #expect(call.status == 12)
        #expect(call.message == "unknown service foo.Bar")
        // A truncated varint is not a RangeRequest.
        let garbage = try client.unary(.range, [0x08, 0xff])
        #expect(garbage.status == 13)
        #expect(garbage.message?.hasPrefix("grpc: error unmarshalling request") == true)
        // A compressed message is refused.
        call = GRPCTestClient.Call()
        let compressed = try client.open(.range)
        try client.sendRaw(GRPCTestClient.frame(type: 0, flags: 1, stream: compressed, payload: [1, 0, 0, 0, 0]))
        try client.finish(compressed, into: &call)
        #expect(call.status == 12)
        // The connection still serves calls.
        let put = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))))
        #expect(put.status == 0)
        server.stop()
    }

    @Test func oversizedMessageIsRefusedWithGRPCsText() throws {
        let server = try TestServer { $0.maxRequestBytes = 1024 }
        let client = try GRPCTestClient(endpoint: server.endpoint)
        // Over the request limit but under the message limit: the service's own check, etcd's text.
        let put = try client.unary(.request(.put(PutRequest(key: b("a"), value: [UInt8](repeating: 7, count: 4096)))))
        #expect(put.status == 3)
        #expect(put.message == "etcdserver: request is too large")
        // Announced beyond the message limit (request limit + 512 KiB): refused from the prefix alone.
        var call = GRPCTestClient.Call()
        let stream = try client.open(.put)
        try client.sendRaw(GRPCTestClient.frame(type: 0, flags: 0, stream: stream, payload: [0, 0x10, 0, 0, 0]))
        try client.finish(stream, into: &call)
        #expect(call.status == 8)
        #expect(call.message?.hasPrefix("grpc: received message larger than max") == true)
        server.stop()
    }

    @Test func watchStreamCreatesSendsEventsAndCancels() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        let stream = try client.open(.watch)
        var call = GRPCTestClient.Call()
        let create = try #require(EtcdWire.encodeRequest(.watch(.create(WatchRequest(key: b("w"), rangeEnd: b("x")), fragment: false))))
        try client.send(stream, create.message)
        let created = try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call)))
        #expect(created.created && created.watchID == 0)
        let writer = try GRPCTestClient(endpoint: server.endpoint)
        for index in 0..<3 { #expect(try writer.unary(.request(.put(PutRequest(key: b("w\(index)"), value: b("v"))))).status == 0) }
        var events: [Event] = []
        while events.count < 3 {
            let response = try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call)))
            #expect(response.watchID == 0)
            events += response.events
        }
        #expect(events.map(\.kv.key) == [b("w0"), b("w1"), b("w2")])
        // A second watch on the same stream, then a progress request, then cancel the first.
        let second = try #require(EtcdWire.encodeRequest(.watch(.create(WatchRequest(key: b("z")), fragment: false))))
        try client.send(stream, second.message)
        let secondCreated = try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call)))
        #expect(secondCreated.created && secondCreated.watchID == 1)
        try client.send(stream, try #require(EtcdWire.encodeRequest(.watch(.progress))).message)
        let progress = try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call)))
        #expect(progress.watchID == -1 && progress.header.revision == 4)
        try client.send(stream, try #require(EtcdWire.encodeRequest(.watch(.cancel(watchID: 0)))).message)
        let canceled = try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call)))
        #expect(canceled.canceled && canceled.watchID == 0)
        // The client ends its side: the stream ends with OK.
        try client.sendRaw(GRPCTestClient.frame(type: 0, flags: 1, stream: stream, payload: []))
        #expect(try client.nextMessage(stream, call: &call) == nil)
        #expect(call.status == 0)
        server.stop()
    }

    @Test func leaseKeepAliveStreamAnswersEachRenewal() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        let grant = try client.unary(.request(.leaseGrant(LeaseGrantRequest(ttl: 60))))
        guard case .leaseGrant(let granted) = try response(.leaseGrant, grant) else { Issue.record("not a grant"); return }
        let stream = try client.open(.leaseKeepAlive)
        var call = GRPCTestClient.Call()
        for id in [granted.id, granted.id, 999] {
            try client.send(stream, try #require(EtcdWire.encodeRequest(.request(.leaseKeepAlive(id)))).message)
            let message = try #require(try client.nextMessage(stream, call: &call))
            let renewed = try LeaseKeepAliveResponse(protobuf: message)
            #expect(renewed.id == id)
            // An unknown lease is answered with TTL 0, as etcd does.
            #expect(renewed.ttl == (id == 999 ? 0 : 60))
        }
        server.stop()
    }

    @Test func snapshotStreamHasEtcdsSizeAndRestores() throws {
        let server = try TestServer()
        let store = server.server.state.store
        for index in 0..<2000 { _ = try store.put(PutRequest(key: b("s\(index)"), value: [UInt8](repeating: 2, count: 200))) }
        let client = try GRPCTestClient(endpoint: server.endpoint)
        let call = try client.unary(.snapshot, [])
        #expect(call.status == 0)
        var file: [UInt8] = []
        for message in call.messages { file += try EtcdSnapshotResponse(protobuf: message).blob }
        #expect(file.count % 512 == 32)
        #expect(file.count > 400_000)
        let restored = try Store.restore(from: { buffer in
            let count = min(buffer.count, file.count)
            file.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            file.removeFirst(count)
            return count
        })
        #expect(restored.revision == store.revision)
        server.stop()
    }

    @Test func authTokenInMetadata() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        for request: AuthRequest in [.userAdd(name: "root", password: "pw"), .userGrantRole(user: "root", role: "root"), .enable] {
            let call = try client.unary(.request(.auth(request)))
            #expect(call.status == 0, "\(request): \(call.message ?? "")")
        }
        let denied = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))))
        #expect(denied.status == 3)
        #expect(denied.message == "etcdserver: user name is empty")
        let login = try client.unary(.request(.authenticate(AuthenticateRequest(name: "root", password: "pw"))))
        #expect(login.status == 0)
        let token = try EtcdAuthenticateResponse(protobuf: try #require(login.messages.first)).token
        #expect(!token.isEmpty)
        let allowed = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))), metadata: [HeaderField("token", token)])
        #expect(allowed.status == 0, "\(allowed.message ?? "")")
        // etcd also takes the token from `authorization` (its JSON gateway's header).
        let viaAuthorization = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("2")))), metadata: [HeaderField("authorization", token)])
        #expect(viaAuthorization.status == 0, "\(viaAuthorization.message ?? "")")
        let bad = try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1")))), metadata: [HeaderField("token", "nope")])
        #expect(bad.status == 16)
        #expect(bad.message == "etcdserver: invalid auth token")
        server.stop()
    }

    @Test func watchFromACompactedRevisionIsCanceledWithTheCompactRevision() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        for value in ["1", "2", "3"] { #expect(try client.unary(.request(.put(PutRequest(key: b("a"), value: b(value))))).status == 0) }
        #expect(try client.unary(.request(.compact(CompactionRequest(revision: 3)))).status == 0)
        let stream = try client.open(.watch)
        var call = GRPCTestClient.Call()
        try client.send(stream, try #require(EtcdWire.encodeRequest(.watch(.create(WatchRequest(key: b("a"), startRevision: 1), fragment: false)))).message)
        var responses: [WatchResponse] = []
        while !(responses.last?.canceled ?? false), responses.count < 3 {
            responses.append(try WatchResponse(protobuf: try #require(try client.nextMessage(stream, call: &call))))
        }
        let last = try #require(responses.last)
        #expect(last.canceled && last.compactRevision == 3 && last.watchID == 0, "\(responses)")
        server.stop()
    }

    @Test func deadlineEndsACallThatIsNotAnsweredInTime() throws {
        let server = try TestServer()
        let client = try GRPCTestClient(endpoint: server.endpoint)
        // A watch stream never ends by itself; the client gives it 200 ms.
        let stream = try client.open(.watch, metadata: [HeaderField("grpc-timeout", "200m")])
        let started = Posix.monotonicNanoseconds()
        var call = GRPCTestClient.Call()
        try client.finish(stream, into: &call)
        let elapsed = Posix.monotonicNanoseconds() - started
        #expect(call.status == 4 && call.message == "context deadline exceeded", "\(call)")
        #expect(elapsed > 150_000_000 && elapsed < 1_500_000_000)
        // The connection goes on serving.
        #expect(try client.unary(.request(.put(PutRequest(key: b("a"), value: b("1"))))).status == 0)
        server.stop()
    }

    /// A watcher whose client stops reading holds the server to bounded memory; other clients are served
    /// meanwhile; once it reads again it gets every event, in order.
    @Test func stalledWatchReaderIsBoundedAndCatchesUp() throws {
        let server = try TestServer { $0.maxOutputBytes = 256 * 1024 }
        let watcher = try GRPCTestClient(endpoint: server.endpoint, timeout: 20_000_000_000)
        let stream = try watcher.open(.watch)
        var call = GRPCTestClient.Call()
        try watcher.send(stream, try #require(EtcdWire.encodeRequest(.watch(.create(WatchRequest(key: b("s/"), rangeEnd: b("s0")), fragment: false)))).message)
        #expect(try WatchResponse(protobuf: try #require(try watcher.nextMessage(stream, call: &call))).created)
        // The watcher reads nothing now; 2,000 puts of 4 KiB (8 MB of events) go by.
        let writer = try GRPCTestClient(endpoint: server.endpoint)
        let value = [UInt8](repeating: 0x61, count: 4096)
        for index in 0..<2000 {
            let put = try writer.unary(.request(.put(PutRequest(key: b("s/\(10_000 + index)"), value: value))))
            #expect(put.status == 0)
        }
        let started = Posix.monotonicNanoseconds()
        #expect(try writer.unary(.request(.range(RangeRequest(key: b("s/10000"))))).status == 0)
        #expect(Posix.monotonicNanoseconds() - started < 1_000_000_000)
        // Unsent output never went far past the limit (plus what the kernel's socket buffers hold).
        let peak = server.server.state.peakOutputBytes.load(ordering: .relaxed)
        #expect(peak < 2 * 1024 * 1024, "peak unsent output \(peak)")
        var keys: [[UInt8]] = []
        while keys.count < 2000 {
            let response = try WatchResponse(protobuf: try #require(try watcher.nextMessage(stream, call: &call)))
            keys += response.events.map(\.kv.key)
        }
        #expect(keys == (0..<2000).map { b("s/\(10_000 + $0)") })
        server.stop()
    }

    /// Streams opened and reset in a loop (the "rapid reset" attack) end the connection with
    /// ENHANCE_YOUR_CALM; other connections go on.
    @Test func rapidResetEndsTheConnection() throws {
        let server = try TestServer()
        let attacker = try GRPCTestClient(endpoint: server.endpoint)
        var ended: GRPCTestClient.Failure?
        for _ in 0..<2000 {
            let stream = try attacker.open(.range)
            do {
                try attacker.sendRaw(GRPCTestClient.frame(type: 0x3, flags: 0, stream: stream, payload: [0, 0, 0, 8]))
            } catch {
                break
            }
        }
        do {
            var call = GRPCTestClient.Call()
            try attacker.finish(UInt32.max, into: &call)
        } catch let failure as GRPCTestClient.Failure {
            ended = failure
        } catch {}
        if case .goAway(let code, _)? = ended { #expect(code == 0xb) } else { Issue.record("no GOAWAY: \(String(describing: ended))") }
        let other = try GRPCTestClient(endpoint: server.endpoint)
        #expect(try other.unary(.request(.put(PutRequest(key: b("a"), value: b("1"))))).status == 0)
        server.stop()
    }
}
