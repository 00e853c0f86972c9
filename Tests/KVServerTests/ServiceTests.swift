import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// The service layer on its own, without sockets: typed outcomes for typed requests, per-client sessions.
@Suite struct ServiceTests {
    static func service() -> Service {
        Service(state: ServerState(config: ServerConfig(), clock: ManualClock(), logger: Logger(level: .error, fd: -1)))
    }

    /// What `pick` finds in `outcome`, or a recorded failure naming the outcome.
    static func expect<T>(_ outcome: ServiceOutcome, _ pick: (ServiceOutcome) -> T?,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        try #require(pick(outcome), "unexpected outcome: \(outcome)", sourceLocation: sourceLocation)
    }

    static func failure(_ outcome: ServiceOutcome) -> WireError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    @Test func requestsGetTypedOutcomes() throws {
        let service = Self.service()
        let session = ClientSession()
        let put = try Self.expect(service.handle(.put(PutRequest(key: b("a"), value: b("1"))), session: session)) {
            if case .response(.put(let put)) = $0 { return put }
            return nil
        }
        #expect(put.header.revision == 2)
        let one = try Self.expect(service.handle(.range(RangeRequest(key: b("a"))), session: session)) {
            if case .response(.range(let read)) = $0 { return read }
            return nil
        }
        #expect(one.kvs.map(\.valueString) == ["1"])
        // A range is left to the front end to produce as its client reads.
        let cursor = try Self.expect(service.handle(.range(RangeRequest(key: [0], rangeEnd: [0])), session: session)) {
            if case .range(let cursor) = $0 { return cursor }
            return nil
        }
        #expect(cursor.collect().kvs.count == 1)
        let error = try Self.expect(service.handle(.put(PutRequest(key: [], value: b("x"))), session: session), Self.failure)
        #expect(error.code == "EMPTY_KEY")
        let isJob = try Self.expect(service.handle(.hashKV(HashKVRequest()), session: session)) {
            if case .job = $0 { return true }
            return nil
        }
        #expect(isJob)
    }

    @Test func snapshotsBelongToTheirSession() throws {
        let service = Self.service()
        let first = ClientSession(), second = ClientSession()
        _ = try Self.expect(service.handle(.snapshot(SnapshotRequest()), session: first)) {
            if case .response(.snapshot(let start)) = $0 { return start }
            return nil
        }
        #expect(first.snapshot != nil && second.snapshot == nil)
        let error = try Self.expect(service.handle(.snapshotNext, session: second), Self.failure)
        #expect(error.code == "ARGS")
        var done = false
        for _ in 0..<100 where !done {
            done = try Self.expect(service.handle(.snapshotNext, session: first)) {
                if case .response(.snapshotChunk(let chunk)) = $0 { return chunk.done }
                return nil
            }
        }
        #expect(done && first.snapshot == nil)
    }

    @Test func authorizationUsesTheSessionsLogin() throws {
        let service = Self.service()
        let store = service.state.store
        try store.auth.addUser("root", password: "pw")
        try store.auth.enable()
        let session = ClientSession()
        let anonymous = try Self.expect(service.handle(.range(RangeRequest(key: b("a"))), session: session), Self.failure)
        #expect(anonymous.code == "USER_EMPTY")
        session.authToken = try store.auth.authenticate(name: "root", password: "pw")
        let read = try Self.expect(service.handle(.range(RangeRequest(key: b("a"))), session: session)) {
            if case .response(.range(let read)) = $0 { return read }
            return nil
        }
        #expect(read.kvs.isEmpty)
    }
}
