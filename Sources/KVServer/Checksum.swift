import KVStore

/// The `HASH` command: a CRC-32C over the key-value state at one revision.
///
/// For each key live at the revision, in key order, the hash takes: the key's length (4 bytes,
/// little-endian), the key, the value's length, the value, then `create_rev`, `mod_rev`, `version`
/// and `lease` (8 bytes each, little-endian). Two members with the same keys, values and revisions
/// have the same hash; any difference in one of them changes it. The empty store hashes to 0.
/// (etcd hashes its whole retained history; this hashes the state, which is what a consistency
/// check between replicas or across a snapshot round trip needs.)
enum KVHash {
    /// One walk of a read view taken at the start (no lock held while it runs); meant for a worker
    /// thread, as it visits every key.
    static func compute(store: Store, revision: Int64) throws(StoreError) -> (hash: UInt32, revision: Int64) {
        var crc = CRC32C()
        let at = try store.forEachKeyValue(at: revision) { kv in add(kv, to: &crc) }
        return (crc.value, at)
    }

    static func add(_ kv: KeyValue, to crc: inout CRC32C) {
        func little(_ value: UInt64, bytes: Int) {
            withUnsafeBytes(of: value.littleEndian) { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<bytes])) }
        }
        kv.withKeyBytes { key in
            little(UInt64(key.count), bytes: 4)
            crc.update(key)
        }
        kv.withValueBytes { value in
            little(UInt64(value.count), bytes: 4)
            crc.update(value)
        }
        little(UInt64(bitPattern: kv.createRevision), bytes: 8)
        little(UInt64(bitPattern: kv.modRevision), bytes: 8)
        little(UInt64(bitPattern: kv.version), bytes: 8)
        little(UInt64(bitPattern: kv.lease), bytes: 8)
    }
}
