/// Reads etcd 3.4's backend database (a file from `etcdctl snapshot save`, or an etcd data dir's
/// `member/snap/db`) into a fresh store state: the `key` bucket's versions become the keys' histories,
/// `meta` gives the compaction point, `lease` the leases (with their remaining TTL, or the whole TTL
/// when etcd kept none, as etcd itself does on restart), `auth*` the users and roles.
///
/// Checked as etcd would need it: bbolt's whole consistency check first, then every record: revision
/// keys well formed and unique, every KeyValue decodable with a plausible create revision and version,
/// lease keys matching their IDs, user and role names valid UTF-8 matching their keys. Anything else is
/// `SnapshotError.etcdBackend` naming the bucket and the problem; no partial store is returned.
enum EtcdBackendImport {
    struct Loaded {
        var info: SnapshotInfo
        var auth: AuthStore.Contents?
        /// A compaction etcd had scheduled but not finished: the store finishes it after loading.
        var pendingCompaction: Int64?
        /// Users whose password is an etcd bcrypt hash, which this store cannot check: they cannot log
        /// in until given a password again (`user passwd`).
        var usersWithForeignPasswords: [String]
    }

    /// The size rule etcd's `hasChecksum` uses: a database (whole pages) plus a 32-byte SHA-256.
    static func hasTrailer(_ count: Int) -> Bool { count % 512 == 32 }

    /// Whether `bytes` start like a bbolt file (a meta page: page 0, meta flag, bbolt's magic).
    static func looksLikeBolt(_ prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 24 && prefix.u64(0) == 0 && prefix.u16(8) & BoltFormat.metaPage != 0 && prefix.u32(16) == BoltFormat.magic
    }

    /// - Parameters:
    ///   - state: loaded when given; otherwise the file is only checked (`snapshot status`), and the
    ///     status digest (CRC-32C over every bucket's names, keys and values) computed.
    ///   - now: the clock's reading, from which restored leases count their remaining time.
    static func read(_ whole: UnsafeRawBufferPointer, skipHashCheck: Bool, requireHash: Bool,
                     into state: UnsafeMutablePointer<StoreState>?, now: UInt64) throws(SnapshotError) -> Loaded {
        var file = whole
        var digest: [UInt8] = []
        if hasTrailer(whole.count) {
            file = UnsafeRawBufferPointer(rebasing: whole[..<(whole.count - 32)])
            digest = Array(whole[(whole.count - 32)...])
            if !skipHashCheck {
                let actual = SHA256.hash(file)
                guard actual == digest else { throw .checksumMismatch(expected: Hex.encode(digest), actual: Hex.encode(actual)) }
            }
        } else if requireHash && !skipHashCheck {
            throw .etcdBackend("snapshot missing hash but --skip-hash-check=false")
        }
        let reader: BoltReader
        let buckets: [(name: [UInt8], root: BoltReader.BucketRoot)]
        do {
            reader = try BoltReader(file)
            try reader.check()
            buckets = try reader.buckets()
        } catch {
            throw .etcdBackend(error.description)
        }
        var loader = Loader(now: now, loading: state != nil)
        var status = CRC32C()
        var statusKeys = 0
        do {
            var pages = PageSet(count: reader.meta.pageCount)
            for bucket in buckets {
                if state == nil { status.update(bucket.name) }
                try reader.forEach(in: bucket.root, pages: &pages) { (key, value, flags, page) throws(BoltError) in
                    statusKeys += 1
                    if state == nil {
                        status.update(key)
                        status.update(value)
                    }
                    guard flags == 0 else { throw .corrupt(page: page, reason: "a nested bucket inside etcd's \(String(decoding: bucket.name, as: UTF8.self)) bucket") }
                    do throws(Problem) {
                        try loader.add(bucket: bucket.name, key: key, value: value)
                    } catch {
                        throw .corrupt(page: page, reason: error.reason)
                    }
                }
            }
        } catch {
            throw .etcdBackend(error.description)
        }
        guard buckets.contains(where: { $0.name == EtcdBuckets.key }), buckets.contains(where: { $0.name == EtcdBuckets.meta }) else {
            throw .etcdBackend("not an etcd backend database (no key and meta buckets)")
        }
        let auth = try loader.authContents()
        let revision = max(loader.lastMain, loader.finishedCompact, 1)
        if let state {
            loader.finish(into: state, revision: revision)
        }
        let info = SnapshotInfo(formatVersion: BoltFormat.version, revision: loader.lastMain, compactedRevision: loader.finishedCompact,
                                createdAt: 0, clusterID: 0, memberID: 0, keyCount: loader.keyCount, versionCount: loader.versionCount,
                                leaseCount: loader.leases.count, hasAuth: auth != nil,
                                totalBytes: Int(reader.meta.pageCount) * reader.pageSize, sha256: digest,
                                format: .etcd, etcdHash: status.value, etcdKeyCount: statusKeys)
        let pending = loader.scheduledCompact > loader.finishedCompact ? loader.scheduledCompact : nil
        return Loaded(info: info, auth: auth, pendingCompaction: pending, usersWithForeignPasswords: loader.foreignPasswords)
    }

    struct Problem: Error { let reason: String }

    /// Accumulates the buckets' records.
    struct Loader {
        let now: UInt64
        let loading: Bool
        var lastMain: Int64 = 0
        var lastSub: Int64 = -1
        var finishedCompact: Int64 = 0
        var scheduledCompact: Int64 = 0
        var keyIndex: [[UInt8]: Int] = [:]
        var histories: [[KVRecord]] = []
        var keys: [[UInt8]] = []
        var versionCount = 0
        var leases: [Int64: (ttl: Int64, remaining: Int64)] = [:]
        var authEnabled = false
        var authRevision: UInt64 = 1
        var sawAuth = false
        var users: [AuthStore.User] = []
        var roles: [AuthStore.Role] = []
        var foreignPasswords: [String] = []

        var keyCount: Int { histories.count }

        init(now: UInt64, loading: Bool) {
            self.now = now
            self.loading = loading
        }

        mutating func add(bucket: [UInt8], key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(Problem) {
            switch bucket {
            case EtcdBuckets.key: try addVersion(key, value)
            case EtcdBuckets.meta: try addMeta(key, value)
            case EtcdBuckets.lease: try addLease(key, value)
            case EtcdBuckets.auth: try addAuthFlag(key, value)
            case EtcdBuckets.authUsers: try addUser(key, value)
            case EtcdBuckets.authRoles: try addRole(key, value)
            default: break   // members, cluster, alarm, and buckets of later etcd versions
            }
        }

        private mutating func addVersion(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            guard let revision = EtcdBuckets.parseRevisionKey(key) else { throw Problem(reason: "a key bucket key that is not a revision") }
            guard revision.main >= 1, revision.main <= SnapshotFormat.maximumRevision, revision.sub >= 0, revision.sub <= Int64(Int32.max) else {
                throw Problem(reason: "revision \(revision.main)_\(revision.sub) is out of range")
            }
            guard (revision.main, revision.sub) > (lastMain, lastSub) else {
                throw Problem(reason: "revision \(revision.main)_\(revision.sub) appears twice")
            }
            lastMain = revision.main
            lastSub = revision.sub
            let kv: EtcdKeyValue
            do throws(EtcdProto.Malformed) { kv = try EtcdKeyValue(decoding: value) } catch { throw Problem(reason: "revision \(revision.main): \(error.reason)") }
            guard !kv.key.isEmpty, kv.key.count <= SnapshotFormat.maximumKeyLength, kv.value.count <= SnapshotFormat.maximumValueLength else {
                throw Problem(reason: "revision \(revision.main): an empty or oversized key or value")
            }
            let slot: Int
            if let existing = keyIndex[kv.key] {
                slot = existing
            } else {
                // etcd's restore ignores a tombstone for a key it has not seen (its generation was compacted).
                guard !revision.tombstone else { return }
                slot = histories.count
                keyIndex[kv.key] = slot
                histories.append([])
                keys.append(kv.key)
            }
            if revision.tombstone {
                // A second tombstone in a row changes nothing in etcd either.
                guard let last = histories[slot].last, !last.isTombstone else { return }
            } else {
                guard kv.modRevision == revision.main, kv.version >= 1, kv.createRevision >= 1, kv.createRevision <= revision.main,
                      kv.version - 1 <= revision.main - kv.createRevision else {
                    throw Problem(reason: "revision \(revision.main): version \(kv.version) created at \(kv.createRevision) modified at \(kv.modRevision) is impossible")
                }
            }
            versionCount += 1
            guard loading else {
                histories[slot].append(revision.tombstone ? KVRecord.tombstoneMarker : KVRecord.putMarker)
                return
            }
            histories[slot].append(KVRecord.make(key: kv.key, value: revision.tombstone ? [] : kv.value,
                                                 createRevision: revision.tombstone ? 0 : kv.createRevision,
                                                 modRevision: Revision(main: revision.main, sub: revision.sub),
                                                 version: revision.tombstone ? 0 : kv.version, lease: revision.tombstone ? 0 : kv.lease,
                                                 isTombstone: revision.tombstone))
        }

        private mutating func addMeta(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            let name = Array(key)
            guard name == EtcdBuckets.finishedCompact || name == EtcdBuckets.scheduledCompact else { return }
            guard let revision = EtcdBuckets.parseRevisionKey(value), !revision.tombstone, revision.main >= 0,
                  revision.main <= SnapshotFormat.maximumRevision else {
                throw Problem(reason: "meta \(String(decoding: name, as: UTF8.self)) is not a revision")
            }
            if name == EtcdBuckets.finishedCompact { finishedCompact = revision.main } else { scheduledCompact = revision.main }
        }

        private mutating func addLease(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            var id: Int64 = 0, ttl: Int64 = 0, remaining: Int64 = 0
            do throws(EtcdProto.Malformed) {
                try EtcdProto.forEachField(value) { (field, number, bytes) throws(EtcdProto.Malformed) in
                    guard bytes == nil else { if field <= 3 { throw EtcdProto.Malformed(reason: "lease field \(field) has the wrong wire type") }; return }
                    switch field {
                    case 1: id = Int64(bitPattern: number)
                    case 2: ttl = Int64(bitPattern: number)
                    case 3: remaining = Int64(bitPattern: number)
                    default: break
                    }
                }
            } catch { throw Problem(reason: "lease: \(error.reason)") }
            guard let keyID = EtcdBuckets.readBigEndian(key), Int64(bitPattern: keyID) == id, id != 0 else {
                throw Problem(reason: "lease \(id) is stored under another key")
            }
            guard ttl >= 0, ttl <= LeaseLimits.maximumTTL, remaining >= 0, remaining <= LeaseLimits.maximumTTL else {
                throw Problem(reason: "lease \(id) has TTL \(ttl), remaining \(remaining)")
            }
            leases[id] = (ttl, remaining)
        }

        private mutating func addAuthFlag(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            let name = Array(key)
            if name == EtcdBuckets.authEnabled {
                guard value.count == 1, value[0] <= 1 else { throw Problem(reason: "authEnabled is not 0 or 1") }
                authEnabled = value[0] == 1
                sawAuth = true
            } else if name == EtcdBuckets.authRevision {
                guard let revision = EtcdBuckets.readBigEndian(value) else { throw Problem(reason: "authRevision is not 8 bytes") }
                authRevision = max(1, revision)
                sawAuth = true
            }
        }

        private static func name(_ bytes: UnsafeRawBufferPointer, _ what: String) throws(Problem) -> String {
            guard !bytes.isEmpty, bytes.count <= SnapshotFormat.maximumNameLength, let name = String(validating: bytes, as: UTF8.self) else {
                throw Problem(reason: "\(what) name is empty or not UTF-8")
            }
            return name
        }

        private mutating func addUser(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            let name = try Self.name(key, "a user")
            var stored: [UInt8] = []
            var password: [UInt8] = []
            var roleNames: [String] = []
            do throws(EtcdProto.Malformed) {
                try EtcdProto.forEachField(value) { (field, _, bytes) throws(EtcdProto.Malformed) in
                    switch (field, bytes) {
                    case (1, let bytes?): stored = Array(bytes)
                    case (2, let bytes?): password = Array(bytes)
                    case (3, let bytes?):
                        guard let role = String(validating: bytes, as: UTF8.self), !role.isEmpty else {
                            throw EtcdProto.Malformed(reason: "a role name of user \(name) is empty or not UTF-8")
                        }
                        roleNames.append(role)
                    case (1...3, nil): throw EtcdProto.Malformed(reason: "user field \(field) has the wrong wire type")
                    default: break
                    }
                }
            } catch { throw Problem(reason: "user \(name): \(error.reason)") }
            guard stored == Array(key) else { throw Problem(reason: "user \(name) is stored under another name") }
            let hash = EtcdBuckets.decodePassword(password)
            if hash == nil && !password.isEmpty { foreignPasswords.append(name) }
            users.append(AuthStore.User(name: name, roles: roleNames, password: hash))
        }

        private mutating func addRole(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Problem) {
            let name = try Self.name(key, "a role")
            var stored: [UInt8] = []
            var permissions: [Permission] = []
            do throws(EtcdProto.Malformed) {
                try EtcdProto.forEachField(value) { (field, _, bytes) throws(EtcdProto.Malformed) in
                    switch (field, bytes) {
                    case (1, let bytes?): stored = Array(bytes)
                    case (2, let bytes?):
                        var kind = 0
                        var key: [UInt8] = [], rangeEnd: [UInt8] = []
                        try EtcdProto.forEachField(bytes) { (field, number, bytes) throws(EtcdProto.Malformed) in
                            switch (field, bytes) {
                            case (1, nil): kind = number <= 2 ? Int(number) : -1
                            case (2, let bytes?): key = Array(bytes)
                            case (3, let bytes?): rangeEnd = Array(bytes)
                            case (1...3, _): throw EtcdProto.Malformed(reason: "permission field \(field) has the wrong wire type")
                            default: break
                            }
                        }
                        guard let permissionKind = Permission.Kind(rawValue: kind) else { throw EtcdProto.Malformed(reason: "unknown permission type") }
                        permissions.append(Permission(kind: permissionKind, key: key, rangeEnd: rangeEnd))
                    case (1...2, nil): throw EtcdProto.Malformed(reason: "role field \(field) has the wrong wire type")
                    default: break
                    }
                }
            } catch { throw Problem(reason: "role \(name): \(error.reason)") }
            guard stored == Array(key) else { throw Problem(reason: "role \(name) is stored under another name") }
            roles.append(AuthStore.Role(name: name, permissions: permissions))
        }

        /// The auth contents, or nil when they are a fresh store's (no users, roles, flag or revision).
        func authContents() throws(SnapshotError) -> AuthStore.Contents? {
            // Names are unique bytewise (bbolt keys); as Swift Strings canonically equivalent names would collide.
            let sortedUsers = users.sorted { $0.name < $1.name }
            let sortedRoles = roles.sorted { $0.name < $1.name }
            for (a, b) in zip(sortedUsers, sortedUsers.dropFirst()) where a.name == b.name {
                throw .etcdBackend("authUsers: users \"\(a.name)\" and \"\(b.name)\" are the same name")
            }
            for (a, b) in zip(sortedRoles, sortedRoles.dropFirst()) where a.name == b.name {
                throw .etcdBackend("authRoles: roles \"\(a.name)\" and \"\(b.name)\" are the same name")
            }
            let contents = AuthStore.Contents(enabled: authEnabled, revision: authRevision, users: sortedUsers, roles: sortedRoles)
            return SnapshotAuthRecord.isNeeded(for: contents) ? contents : nil
        }

        /// Builds the index (keys in byte order) and the leases into `state`.
        func finish(into state: UnsafeMutablePointer<StoreState>, revision: Int64) {
            var builder = TreeIndex.Tree.Builder(nodeCapacity: state.pointee.index.tree.nodeCapacity)
            let order = keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
            var leaseOfKey: [([UInt8], Int64)] = []
            for slot in order {
                var history = histories[slot]
                let latest = history.removeLast()
                for record in history { state.pointee.footprint += record.footprint }
                state.pointee.footprint += latest.footprint
                if !latest.isTombstone {
                    state.pointee.counters.keys += 1
                    if latest.lease != 0 { leaseOfKey.append((keys[slot], latest.lease)) }
                }
                builder.append(IndexKey(latest), history)
            }
            state.pointee.index = TreeIndex(builder)
            state.pointee.currentRevision = revision
            state.pointee.compactedRevision = min(finishedCompact, revision)
            for (id, lease) in leases {
                let seconds = UInt64(lease.remaining > 0 ? lease.remaining : lease.ttl)
                let (nanos, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let (deadline, o2) = now.addingReportingOverflow(nanos)
                state.pointee.leases.insert(.init(id: id, grantedTTL: lease.ttl, deadline: o1 || o2 ? UInt64.max : deadline))
            }
            for (key, lease) in leaseOfKey { state.pointee.leases.attach(key, to: lease) }
        }
    }
}

extension KVRecord {
    /// Stand-ins counted when a file is only checked, not loaded.
    nonisolated(unsafe) static let tombstoneMarker = KVRecord.make(key: [0], value: [], createRevision: 0, modRevision: Revision(main: 0, sub: 0),
                                               version: 0, lease: 0, isTombstone: true)
    nonisolated(unsafe) static let putMarker = KVRecord.make(key: [0], value: [], createRevision: 1, modRevision: Revision(main: 1, sub: 0),
                                         version: 1, lease: 0)
}
