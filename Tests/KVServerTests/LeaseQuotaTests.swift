import KVClient
import KVProtocol
import KVStore
import Testing
@testable import KVServer

/// Leases, anonymous ones included, count against `--quota-backend-bytes`; a grant is refused with
/// etcd's NO_SPACE once the quota is reached and while the NOSPACE alarm is raised.
@Suite struct LeaseQuotaTests {
    @Test func anonymousLeasesCountAgainstTheQuota() throws {
        let quota = 20_000
        let server = try TestServer { config in
            config.quotaBackendBytes = Int64(quota)
            config.passwordHashIterations = 50
            config.authFailureDelay = 0
        }
        defer { server.stop() }
        let root = try server.client()
        _ = try root.call(.auth(.userAdd(name: "root", password: "rootpw")))
        _ = try root.call(.auth(.enable))
        root.close()
        let anonymous = try server.client()
        let base = server.store.sizeInBytes
        var granted: [Int64] = []
        var refusal: ClientError?
        for _ in 0..<1000 {
            do {
                guard case .leaseGrant(let grant) = try anonymous.call(.leaseGrant(LeaseGrantRequest(ttl: 600))) else { break }
                granted.append(grant.id)
            } catch {
                refusal = error
                break
            }
        }
        #expect(granted.count == (quota - base) / Store.bytesPerLease, "the quota holds \(granted.count) leases")
        #expect(refusal?.wire == .store(.spaceExceeded))
        #expect(refusal?.description == "etcdserver: mvcc: database space exceeded")
        guard case .status(let status) = try anonymous.call(.status) else { Issue.record("status"); return }
        #expect(status.dbSize == Service.baseDatabaseBytes + Int64(base + granted.count * Store.bytesPerLease), "STATUS counts the leases")
        #expect(status.errors.count == 1 && status.errors[0].hasSuffix("alarm:NOSPACE"))

        // While the alarm is raised, no lease is granted, in any form; other lease operations work.
        let admin = try server.client(credentials: KVClient.Credentials(name: "root", password: "rootpw"))
        let refusals: [(String, () throws -> Void)] = [
            ("anonymous grant", { _ = try anonymous.call(.leaseGrant(LeaseGrantRequest(ttl: 5))) }),
            ("root's grant", { _ = try admin.call(.leaseGrant(LeaseGrantRequest(ttl: 5))) }),
            ("PUT --ttl", { _ = try admin.call(.leasedPut(LeasedPutRequest(put: PutRequest(key: b("k"), value: b("v")), ttl: 5))) }),
        ]
        for (name, call) in refusals {
            let error = try #require(throws: ClientError.self, "\(name)") { try call() }
            #expect(error.wire == .store(.spaceExceeded), "\(name)")
        }
        _ = try anonymous.keepAliveOnce(granted[0])
        guard case .leaseList(let list) = try anonymous.call(.leaseList) else { Issue.record("list"); return }
        #expect(list.leases.count == granted.count)

        // Revoking (a lease without keys needs no login) frees the space; the alarm clears by itself.
        for id in granted.prefix(10) { _ = try anonymous.call(.leaseRevoke(id)) }
        #expect(server.store.sizeInBytes == base + (granted.count - 10) * Store.bytesPerLease)
        #expect(eventually { !server.server.state.isNoSpaceAlarmed })
        _ = try anonymous.call(.leaseGrant(LeaseGrantRequest(ttl: 5)))
    }
}
