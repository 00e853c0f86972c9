/// Parses and checks a snapshot, optionally loading it into a fresh `StoreState` and handing out its
/// auth contents (left nil when the file has no auth record).
enum SnapshotDecoder {
    static func decode(from source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int, skipHashCheck: Bool,
                       into state: UnsafeMutablePointer<StoreState>?, auth authOut: UnsafeMutablePointer<AuthStore.Contents?>? = nil,
                       now: UInt64) throws(SnapshotError) -> SnapshotInfo {
        var reader = SnapshotReader(source: source)
        defer { reader.release() }
        let magic = try reader.bytes(8, expecting: "the header")
        guard magic == SnapshotFormat.magic else { throw .notASnapshot }
        let version = try reader.fixed32(expecting: "the header")
        guard version == SnapshotFormat.version else { throw .unsupportedVersion(version) }
        let flagsOffset = reader.offset
        guard try reader.fixed32(expecting: "the header") == 0 else { throw .corrupt(offset: flagsOffset, reason: "unknown header flags") }
        let revision = Int64(bitPattern: try reader.fixed64(expecting: "the header"))
        let compacted = Int64(bitPattern: try reader.fixed64(expecting: "the header"))
        let createdAt = try reader.fixed64(expecting: "the header")
        let clusterID = try reader.fixed64(expecting: "the header")
        let memberID = try reader.fixed64(expecting: "the header")
        let reservedOffset = reader.offset
        guard try reader.fixed64(expecting: "the header") == 0 else { throw .corrupt(offset: reservedOffset, reason: "reserved header bytes are not zero") }
        guard revision >= 1, compacted >= 0, compacted <= revision else {
            throw .corrupt(offset: 16, reason: "header revisions are inconsistent (revision \(revision), compacted \(compacted))")
        }
        // Every write adds one to the revision: a store loaded near Int64.max could not take many more.
        guard revision <= SnapshotFormat.maximumRevision else {
            throw .corrupt(offset: 16, reason: "revision \(revision) is out of range (at most \(SnapshotFormat.maximumRevision))")
        }

        var keys = 0
        var versions = 0
        var leases: [Int64: (granted: Int64, remainingMillis: UInt64)] = [:]
        var keyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 16)
        defer { keyBuffer.deallocate() }
        var previousKeyLength = 0
        var leaseOfKey: [([UInt8], Int64)] = []
        // The index, built as the keys come (they ascend); used only when loading into `state`.
        var index = TreeIndex.Tree.Builder(nodeCapacity: state?.pointee.index.tree.nodeCapacity ?? 64)
        var auth: (contents: AuthStore.Contents, offset: Int)? = nil
        while true {
            let recordOffset = reader.offset
            let tag = try reader.byte(expecting: "a record tag")
            switch tag {
            case SnapshotFormat.keyRecord:
                guard leases.isEmpty else { throw .corrupt(offset: recordOffset, reason: "key record after lease records") }
                guard auth == nil else { throw .corrupt(offset: recordOffset, reason: "key record after the auth record") }
                let keyLength = Int(try reader.int(expecting: "a key length", max: Int64(SnapshotFormat.maximumKeyLength)))
                guard keyLength > 0 else { throw .corrupt(offset: recordOffset, reason: "empty key") }
                // The key is compared in place with the previous one, then kept in `keyBuffer` (reused)
                // while its versions are read.
                let ascending = try reader.withBytes(keyLength, expecting: "key bytes") { key in
                    let inOrder = keys == 0 || KeyBytes.compare(UnsafeRawBufferPointer(rebasing: keyBuffer[..<previousKeyLength]), key) < 0
                    if keyBuffer.count < keyLength {
                        keyBuffer.deallocate()
                        keyBuffer = .allocate(byteCount: max(keyLength, 2 * keyBuffer.count), alignment: 16)
                    }
                    keyBuffer.baseAddress!.copyMemory(from: key.baseAddress!, byteCount: keyLength)
                    previousKeyLength = keyLength
                    return inOrder
                }
                guard ascending else {
                    throw .corrupt(offset: recordOffset, reason: "keys are not in strictly ascending order")
                }
                let key = UnsafeRawBufferPointer(rebasing: keyBuffer[..<keyLength])
                let count = Int(try reader.int(expecting: "a version count", max: Int64(Int32.max)))
                guard count > 0 else { throw .corrupt(offset: recordOffset, reason: "a key with no versions") }
                // The newest version so far, and the older ones (allocated only for a key with several).
                var latest: KVRecord? = nil
                var history: KeyHistory = []
                var footprint = 0
                var lastMain: Int64 = 0
                for _ in 0..<count {
                    let versionOffset = reader.offset
                    let flags = try reader.byte(expecting: "version flags")
                    guard flags <= 1 else { throw .corrupt(offset: versionOffset, reason: "unknown version flags \(flags)") }
                    let tombstone = flags == 1
                    let modMain = try reader.int(expecting: "a mod revision")
                    let modSub = try reader.int(expecting: "a sub-revision", max: Int64(Int32.max))
                    let create = try reader.int(expecting: "a create revision")
                    let version = try reader.int(expecting: "a version")
                    let lease = try reader.zigzag(expecting: "a lease")
                    let valueLength = Int(try reader.int(expecting: "a value length", max: Int64(SnapshotFormat.maximumValueLength)))
                    guard modMain > lastMain, modMain <= revision else {
                        throw .corrupt(offset: versionOffset, reason: "mod revision \(modMain) out of order or above the snapshot revision \(revision)")
                    }
                    if tombstone {
                        guard create == 0, version == 0, lease == 0, valueLength == 0 else {
                            throw .corrupt(offset: versionOffset, reason: "a delete record with data")
                        }
                    } else {
                        // A key changes at most once per revision, so version v needs v revisions from its
                        // creation on (which also keeps the next put's `version + 1` from overflowing).
                        guard version >= 1, create >= 1, create <= modMain, version - 1 <= modMain - create else {
                            throw .corrupt(offset: versionOffset, reason: "version \(version) created at \(create) modified at \(modMain) is impossible")
                        }
                    }
                    lastMain = modMain
                    if state != nil {
                        let record = try reader.withBytes(valueLength, expecting: "value bytes") { value in
                            KVRecord.make(key: key, value: value, createRevision: create,
                                          modRevision: Revision(main: modMain, sub: modSub), version: version,
                                          lease: lease, isTombstone: tombstone)
                        }
                        footprint += record.footprint
                        if let older = latest {
                            // The count is not trusted before the checksum: reserve a bounded amount, grow past it.
                            if history.isEmpty { history.reserveCapacity(min(count - 1, 1024)) }
                            history.append(older)
                        }
                        latest = record
                    } else {
                        try reader.withBytes(valueLength, expecting: "value bytes") { _ in }
                    }
                }
                keys += 1
                versions += count
                if let state, let latest {
                    state.pointee.footprint += footprint
                    if !latest.isTombstone { state.pointee.counters.keys += 1 }
                    if !latest.isTombstone, latest.lease != 0 { leaseOfKey.append((Array(key), latest.lease)) }
                    index.append(IndexKey(latest), history)
                }
            case SnapshotFormat.leaseRecord:
                guard auth == nil else { throw .corrupt(offset: recordOffset, reason: "lease record after the auth record") }
                let id = try reader.zigzag(expecting: "a lease ID")
                let granted = try reader.int(expecting: "a lease TTL", max: LeaseLimits.maximumTTL)
                let remaining = try reader.varint(expecting: "a lease's remaining time")
                guard id != 0, leases[id] == nil else { throw .corrupt(offset: recordOffset, reason: "lease ID \(id) is zero or repeated") }
                leases[id] = (granted, remaining)
            case SnapshotFormat.authRecord:
                if let auth {
                    throw .corrupt(offset: recordOffset, reason: "a second auth record (the first is at byte \(auth.offset))")
                }
                auth = (try SnapshotAuthRecord.read(from: &reader, recordOffset: recordOffset), recordOffset)
            case SnapshotFormat.endRecord:
                let keyCount = try reader.varint(expecting: "the end record")
                let versionCount = try reader.varint(expecting: "the end record")
                let leaseCount = try reader.varint(expecting: "the end record")
                guard keyCount == UInt64(keys), versionCount == UInt64(versions), leaseCount == UInt64(leases.count) else {
                    throw .corrupt(offset: recordOffset, reason: "the end record counts \(keyCount) keys, \(versionCount) versions, \(leaseCount) leases but the file holds \(keys), \(versions), \(leases.count)")
                }
                let digest = reader.digest()
                let trailerOffset = reader.offset
                if try reader.isAtEnd() {
                    guard skipHashCheck else { throw .truncated(offset: trailerOffset, expecting: "the checksum trailer") }
                } else {
                    let stored = try reader.bytes(32, expecting: "the checksum trailer")
                    let end = try reader.bytes(8, expecting: "the end of the trailer")
                    if !skipHashCheck {
                        guard end == SnapshotFormat.endMagic else { throw .corrupt(offset: trailerOffset + 32, reason: "bad trailer magic") }
                        guard stored == digest else { throw .checksumMismatch(expected: Hex.encode(stored), actual: Hex.encode(digest)) }
                    }
                    if try !reader.isAtEnd() { try readStreamTrailer(&reader, skipHashCheck: skipHashCheck) }
                }
                if let state {
                    state.pointee.index = TreeIndex(index)
                    state.pointee.currentRevision = revision
                    state.pointee.compactedRevision = compacted
                    for (id, lease) in leases {
                        // Saturating: a remaining time too large for the clock means "not yet", never a
                        // deadline wrapped into the past.
                        let (nanos, o1) = lease.remainingMillis.multipliedReportingOverflow(by: 1_000_000)
                        let (sum, o2) = now.addingReportingOverflow(nanos)
                        let deadline = o1 || o2 ? UInt64.max : sum
                        state.pointee.leases.insert(.init(id: id, grantedTTL: lease.granted, deadline: deadline))
                    }
                    for (key, lease) in leaseOfKey { state.pointee.leases.attach(key, to: lease) }
                }
                authOut?.pointee = auth?.contents
                return SnapshotInfo(formatVersion: version, revision: revision, compactedRevision: compacted, createdAt: createdAt,
                                    clusterID: clusterID, memberID: memberID, keyCount: keys, versionCount: versions,
                                    leaseCount: leases.count, hasAuth: auth != nil, totalBytes: reader.offset, sha256: digest)
            default:
                throw .corrupt(offset: recordOffset, reason: "unknown record tag 0x\(String(tag, radix: 16))")
            }
        }
    }

    /// The trailer a snapshot gets when it is sent as etcd's `Maintenance.Snapshot` stream
    /// (`SnapshotStreamTrailer`): zero bytes up to a multiple of 512, then the SHA-256 of every
    /// byte before it. A file saved from that stream (`etcdctl snapshot save`) ends so; anything else
    /// after the trailer is refused.
    private static func readStreamTrailer(_ reader: inout SnapshotReader, skipHashCheck: Bool) throws(SnapshotError) {
        let start = reader.offset
        let padding = (512 - start % 512) % 512
        for index in 0..<padding {
            guard try !reader.isAtEnd(), try reader.byte(expecting: "the stream trailer's padding") == 0 else {
                throw .corrupt(offset: start + index, reason: "unexpected bytes after the trailer")
            }
        }
        let digest = reader.digest()
        let stored = try reader.bytes(32, expecting: "the stream trailer's checksum")
        if !skipHashCheck && stored != digest {
            throw .checksumMismatch(expected: Hex.encode(stored), actual: Hex.encode(digest))
        }
        guard try reader.isAtEnd() else { throw .corrupt(offset: reader.offset, reason: "unexpected bytes after the stream trailer") }
    }
}
