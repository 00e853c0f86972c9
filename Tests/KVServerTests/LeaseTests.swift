import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

@Suite struct LeaseTests {
    @Test func grantKeepAliveTTLListRevoke() throws {
        let clock = ManualClock()
        let server = try TestServer(clock: clock)
        let client = try server.client()
        _ = try client.call(.put(PutRequest(key: b("held"), value: b("v"))))
        guard case .leaseGrant(let grant) = try client.call(.leaseGrant(LeaseGrantRequest(ttl: 60, id: 0x694d, keys: [b("held")]))) else {
            Issue.record("grant"); return
        }
        #expect(grant.id == 0x694d && grant.ttl == 60)
        do {
            _ = try client.call(.leaseGrant(LeaseGrantRequest(ttl: 60, id: 0x694d)))
            Issue.record("expected LEASE_EXISTS")
        } catch {
            #expect(error.wire == .store(.leaseExists(id: 0x694d)))
        }
        guard case .leaseGrant(let short) = try client.call(.leaseGrant(LeaseGrantRequest(ttl: 1))) else { return }
        #expect(short.ttl == 2, "TTLs below 2 s are raised to 2 s")

        clock.advance(seconds: 10)
        guard case .leaseTimeToLive(let ttl) = try client.call(.leaseTimeToLive(LeaseTimeToLiveRequest(id: 0x694d, keys: true))) else { return }
        #expect(ttl.ttl == 50 && ttl.grantedTTL == 60 && ttl.keys == [b("held")])
        let renewed = try client.keepAliveOnce(0x694d)
        #expect(renewed.ttl == 60)
        guard case .leaseTimeToLive(let after) = try client.call(.leaseTimeToLive(LeaseTimeToLiveRequest(id: 0x694d))) else { return }
        #expect(after.ttl == 60 && after.keys.isEmpty)

        guard case .leaseList(let list) = try client.call(.leaseList) else { return }
        #expect(Set(list.leases) == [0x694d, short.id])

        guard case .range(let attached) = try client.call(.range(RangeRequest(key: b("held")))) else { return }
        #expect(attached.kvs.first?.lease == 0x694d)
        _ = try client.call(.leaseRevoke(0x694d))
        guard case .range(let gone) = try client.call(.range(RangeRequest(key: b("held")))) else { return }
        #expect(gone.kvs.isEmpty)
        do {
            _ = try client.call(.leaseKeepAlive(0x694d))
            Issue.record("expected LEASE_NOT_FOUND")
        } catch {
            #expect(error.description == "etcdserver: requested lease not found")
        }
        guard case .leaseTimeToLive(let missing) = try client.call(.leaseTimeToLive(LeaseTimeToLiveRequest(id: 0x694d))) else { return }
        #expect(missing.ttl == -1 && missing.grantedTTL == 0)
        server.stop()
    }

    @Test func putWithTTLExpiresOnTheServerTimer() throws {
        let clock = ManualClock()
        let server = try TestServer(clock: clock)
        let client = try server.client()
        guard case .leasedPut(let put) = try client.call(.leasedPut(LeasedPutRequest(put: PutRequest(key: b("session"), value: b("alive")), ttl: 3))) else {
            Issue.record("leased put"); return
        }
        #expect(put.lease.ttl == 3 && put.lease.id != 0)
        guard case .range(let read) = try client.call(.range(RangeRequest(key: b("session")))) else { return }
        #expect(read.kvs.first?.lease == put.lease.id)
        clock.advance(seconds: 4)
        // The server's 500 ms timer expires the lease and deletes its key.
        #expect(try eventually {
            guard case .range(let now) = try client.call(.range(RangeRequest(key: b("session")))) else { return false }
            return now.kvs.isEmpty
        })
        server.stop()
    }

    @Test func keepAliveStreamRenews() async throws {
        // A manual clock: this checks the renewal stream, not expiry, so wall time must not matter.
        let server = try TestServer(clock: ManualClock())
        let client = try server.client()
        guard case .leaseGrant(let grant) = try client.call(.leaseGrant(LeaseGrantRequest(ttl: 30))) else { return }
        var renewals = 0
        for try await renewal in client.keepAlive(grant.id, every: .milliseconds(20)) {
            #expect(renewal.id == grant.id && renewal.ttl == 30)
            renewals += 1
            if renewals == 3 { break }
        }
        #expect(renewals == 3)
        server.stop()
    }
}
