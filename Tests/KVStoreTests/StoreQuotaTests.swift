import Dispatch
import Testing
@testable import KVStore

/// The quota (etcd's `--quota-backend-bytes`) is checked under each write's own lock.
@Suite struct StoreQuotaTests {
    /// Writers racing for the last room never take the store over its quota together.
    @Test func concurrentWritersNeverExceedTheQuota() throws {
        let quota = 64 * 1024
        let store = Store(configuration: StoreConfiguration(quotaBytes: quota))
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            for index in 0..<10_000 {
                let key = Array("w\(writer)/\(index)".utf8)
                do throws(StoreError) {
                    try store.put(PutRequest(key: key, value: Array(repeating: 0x61, count: 100)))
                } catch {
                    #expect(error == .spaceExceeded)
                    break
                }
            }
        }
        #expect(store.sizeInBytes <= quota)
        #expect(store.isNoSpaceAlarmed)
    }

    @Test func theAlarmRefusesWritesThatAddBytesUntilItIsCleared() throws {
        let store = Store(configuration: StoreConfiguration(quotaBytes: 8 * 1024))
        var written = 0
        while (try? store.put("k\(written)", String(repeating: "v", count: 200))) != nil { written += 1 }
        #expect(written > 10 && store.isNoSpaceAlarmed)
        // Reads, deletes and transactions that only read or delete pass; puts, leases and putting txns do not.
        #expect(try store.get("k0") != nil)
        #expect(throws: StoreError.spaceExceeded) { try store.put("small", "x") }
        #expect(throws: StoreError.spaceExceeded) { try store.grantLease(ttl: 10) }
        #expect(throws: StoreError.spaceExceeded) {
            try store.txn(TxnRequest(success: [.put(PutRequest(key: Array("t".utf8), value: []))]))
        }
        _ = try store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: Array("k1".utf8)))]))
        #expect(store.isNoSpaceAlarmed, "the alarm stays up until it is cleared")
        // A refused write never entered the store, so it is under the quota: the alarm can be lowered.
        #expect(store.clearNoSpaceAlarmIfUnderQuota())
        #expect(!store.isNoSpaceAlarmed && !store.clearNoSpaceAlarmIfUnderQuota())
        try store.put("again", "fine")
    }

    @Test func noQuotaMeansNoAlarm() throws {
        let store = Store()
        for index in 0..<1000 { try store.put("k\(index)", String(repeating: "v", count: 100)) }
        #expect(!store.isNoSpaceAlarmed)
    }
}
