/// A store's state written as etcd 3.4's backend database: a bbolt file `etcdctl snapshot status` and
/// `snapshot restore` read, from which a real etcd starts with the same keys, history, compaction
/// point, leases and users and roles (docs/ETCD-SNAPSHOT.md).
///
/// Made in three steps so a server never runs long work on its event loop:
/// 1. `init` captures the state in O(1) (a copy-on-write view, as `SnapshotCursor` does);
/// 2. `prepare()` puts every retained version in revision order (etcd's `key` bucket is keyed by
///    revision; the store indexes by key) and plans the pages: O(V log V) for V versions, run it on a
///    worker thread;
/// 3. `next(maxBytes:)` encodes the following pages: O(bytes returned).
public final class EtcdSnapshotWriter {
    private let view: ReadView
    /// The revision captured.
    public let revision: Int64
    private let leases: [(id: Int64, granted: Int64, remainingMillis: UInt64)]
    private let auth: AuthStore.Contents
    private let clusterID: UInt64
    private let memberID: UInt64
    private var writer: BoltWriter?
    private var output: [UInt8] = []
    /// Versions written to the `key` bucket (after `prepare`).
    public private(set) var versionCount = 0

    /// Captures what `cursor` captured (same view, revision, leases, auth), for the gRPC stream, which is
    /// handed a cursor of our own format by the service.
    public convenience init(cursor: SnapshotCursor) {
        self.init(view: cursor.view, revision: cursor.revision, leases: cursor.leases, auth: cursor.auth ?? AuthStore.Contents(),
                  clusterID: cursor.clusterID, memberID: cursor.memberID)
    }

    /// Captures `store` at `revision` (0: the current one).
    /// - Throws: `.store` for a compacted or future revision.
    public convenience init(store: Store, revision: Int64 = 0) throws(SnapshotError) {
        self.init(cursor: try SnapshotCursor(store: store, revision: revision))
    }

    init(view: ReadView, revision: Int64, leases: [(id: Int64, granted: Int64, remainingMillis: UInt64)], auth: AuthStore.Contents,
         clusterID: UInt64, memberID: UInt64) {
        self.view = view
        self.revision = revision
        self.leases = leases
        self.auth = auth
        self.clusterID = clusterID
        self.memberID = memberID
    }

    /// Orders the versions by revision and plans every page. Idempotent; `next` calls it if needed.
    /// - Complexity: O(V log V) for V retained versions up to the revision.
    public func prepare() {
        guard writer == nil else { return }
        var records: [KVRecord] = []
        view.index.forEach(in: .fromKey([0])) { key, history in
            for record in history where record.modMain <= revision { records.append(record) }
            if key.latest.modMain <= revision { records.append(key.latest) }
            return true
        }
        records.sort { $0.modMain != $1.modMain ? $0.modMain < $1.modMain : $0.modRevision.sub < $1.modRevision.sub }
        versionCount = records.count
        let writer = BoltWriter(buckets: buckets(KeyBucketEntries(records: records)))
        writer.plan()
        self.writer = writer
    }

    /// The file's exact size (after `prepare`).
    public var totalBytes: Int {
        prepare()
        return writer!.totalBytes
    }

    public var isFinished: Bool { writer?.isFinished ?? false }

    /// The next whole pages, about `maxBytes` of them (at least one); nil once the file is complete.
    public func next(maxBytes: Int = 1 << 16) -> [UInt8]? {
        prepare()
        output.removeAll(keepingCapacity: true)
        guard writer!.nextPages(into: &output, maxBytes: maxBytes) else { return nil }
        return output
    }

    /// Writes the whole file to `sink` in chunks of about `chunkSize` bytes.
    public func writeAll(chunkSize: Int = 1 << 20, to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        prepare()
        try writer!.writeAll(chunkSize: chunkSize, to: sink)
    }

    private func buckets(_ keys: KeyBucketEntries) -> [(name: [UInt8], entries: any BoltEntries)] {
        var meta: [(key: [UInt8], value: [UInt8])] = [(EtcdBuckets.consistentIndex, EtcdBuckets.bigEndian(UInt64(revision)))]
        if view.compactedRevision > 0 {
            let compacted = EtcdBuckets.revisionKey(main: view.compactedRevision, sub: 0)
            meta += [(EtcdBuckets.scheduledCompact, compacted), (EtcdBuckets.finishedCompact, compacted)]
        }
        let leaseEntries = leases.map { lease -> (key: [UInt8], value: [UInt8]) in
            var message = EtcdProto.Writer()
            message.int(1, lease.id)
            message.int(2, lease.granted)
            // etcd reads RemainingTTL 0 as "the whole TTL": a lease about to expire keeps a second.
            message.int(3, Int64(max(1, (lease.remainingMillis + 999) / 1000)))
            return (EtcdBuckets.bigEndian(UInt64(bitPattern: lease.id)), message.bytes)
        }
        let users = auth.users.map { user -> (key: [UInt8], value: [UInt8]) in
            var message = EtcdProto.Writer()
            message.bytes(1, Array(user.name.utf8))
            if let hash = user.password { message.bytes(2, EtcdBuckets.encodePassword(hash)) }
            for role in user.roles { message.bytes(3, Array(role.utf8), always: true) }
            if user.password == nil { message.bytes(4, [1 << 3, 1]) }   // options { no_password: true }
            return (Array(user.name.utf8), message.bytes)
        }
        let roles = auth.roles.map { role -> (key: [UInt8], value: [UInt8]) in
            var message = EtcdProto.Writer()
            message.bytes(1, Array(role.name.utf8))
            for permission in role.permissions {
                var inner = EtcdProto.Writer()
                inner.int(1, Int64(permission.kind.rawValue))
                inner.bytes(2, permission.key)
                inner.bytes(3, permission.rangeEnd)
                message.bytes(2, inner.bytes, always: true)
            }
            return (Array(role.name.utf8), message.bytes)
        }
        let memberKey = Array(String(memberID, radix: 16).utf8)
        let member = Array("{\"id\":\(memberID),\"peerURLs\":[\"http://localhost:2380\"],\"name\":\"default\",\"clientURLs\":[\"http://localhost:2379\"]}".utf8)
        let list: [(name: [UInt8], entries: any BoltEntries)] = [
            (EtcdBuckets.alarm, BoltArrayEntries([])),
            (EtcdBuckets.auth, BoltArrayEntries([(EtcdBuckets.authEnabled, [auth.enabled ? 1 : 0]),
                                                 (EtcdBuckets.authRevision, EtcdBuckets.bigEndian(auth.revision))])),
            (EtcdBuckets.authRoles, BoltArrayEntries(roles)),
            (EtcdBuckets.authUsers, BoltArrayEntries(users)),
            (EtcdBuckets.cluster, BoltArrayEntries([(EtcdBuckets.clusterVersion, Array("3.4.0".utf8))])),
            (EtcdBuckets.key, keys),
            (EtcdBuckets.lease, BoltArrayEntries(leaseEntries)),
            (EtcdBuckets.members, BoltArrayEntries([(memberKey, member)])),
            (EtcdBuckets.membersRemoved, BoltArrayEntries([])),
            (EtcdBuckets.meta, BoltArrayEntries(meta)),
        ]
        return list
    }
}

/// The `key` bucket: every retained version in revision order, encoded straight into the pages.
struct KeyBucketEntries: BoltEntries {
    let records: [KVRecord]
    var count: Int { records.count }
    func keySize(_ index: Int) -> Int { records[index].isTombstone ? 18 : 17 }
    func valueSize(_ index: Int) -> Int { EtcdKeyValue.size(of: records[index]) }
    func writeKey(_ index: Int, to destination: UnsafeMutableRawPointer) {
        let record = records[index]
        EtcdBuckets.writeRevisionKey(main: record.modMain, sub: record.modRevision.sub, tombstone: record.isTombstone, to: destination)
    }
    func writeValue(_ index: Int, to destination: UnsafeMutableRawPointer) { EtcdKeyValue.write(records[index], to: destination) }
}
