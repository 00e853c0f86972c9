/// One stored version of one key: its metadata, key bytes and value bytes in a single allocation.
///
/// Records are immutable once made, so they are shared freely between the live index, read views,
/// snapshots and watch events. A tombstone (the mark a delete leaves in a key's history) is a record
/// with no value whose `modRevision` is the delete's revision.
///
/// Layout: a 48-byte header followed by the key bytes and then the value bytes — one malloc per
/// version, which keeps memory per key near the raw data size.
final class KVRecord: ManagedBuffer<KVRecord.Header, UInt8> {
    struct Header {
        var keyCount: UInt32
        var valueCount: UInt32
        var createRevision: Int64
        var modMain: Int64
        var modSub: Int32
        var isTombstone: Bool
        var version: Int64
        var lease: Int64
    }

    static func make(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, createRevision: Int64,
                     modRevision: Revision, version: Int64, lease: Int64, isTombstone: Bool = false) -> KVRecord {
        let header = Header(keyCount: UInt32(key.count), valueCount: UInt32(value.count),
                            createRevision: createRevision, modMain: modRevision.main,
                            modSub: Int32(truncatingIfNeeded: modRevision.sub), isTombstone: isTombstone,
                            version: version, lease: lease)
        let buffer = create(minimumCapacity: key.count + value.count) { _ in header }
        buffer.withUnsafeMutablePointerToElements { elements in
            if let base = key.baseAddress { elements.update(from: base.assumingMemoryBound(to: UInt8.self), count: key.count) }
            if let base = value.baseAddress {
                (elements + key.count).update(from: base.assumingMemoryBound(to: UInt8.self), count: value.count)
            }
        }
        return unsafeDowncast(buffer, to: KVRecord.self)
    }

    static func make(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Revision,
                     version: Int64, lease: Int64, isTombstone: Bool = false) -> KVRecord {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                make(key: k, value: v, createRevision: createRevision, modRevision: modRevision,
                     version: version, lease: lease, isTombstone: isTombstone)
            }
        }
    }

    /// A tombstone for `key` at `revision`.
    static func tombstone(of record: KVRecord, at revision: Revision) -> KVRecord {
        record.withKeyBytes { key in
            make(key: key, value: UnsafeRawBufferPointer(start: nil, count: 0), createRevision: 0,
                 modRevision: revision, version: 0, lease: 0, isTombstone: true)
        }
    }

    @inline(__always) var keyCount: Int { Int(header.keyCount) }
    @inline(__always) var valueCount: Int { Int(header.valueCount) }
    @inline(__always) var createRevision: Int64 { header.createRevision }
    @inline(__always) var modMain: Int64 { header.modMain }
    @inline(__always) var modRevision: Revision { Revision(main: header.modMain, sub: Int64(header.modSub)) }
    @inline(__always) var version: Int64 { header.version }
    @inline(__always) var lease: Int64 { header.lease }
    @inline(__always) var isTombstone: Bool { header.isTombstone }

    /// Bytes this record accounts for in the store's size (header, key and value).
    var footprint: Int { KVRecord.footprint(keyCount: keyCount, valueCount: valueCount) }

    /// What a record of this key and value adds to the store's size: what a write is admitted for
    /// under the quota, so that admitted writes never take the store past it.
    static func footprint(keyCount: Int, valueCount: Int) -> Int {
        MemoryLayout<Header>.stride &+ 16 &+ keyCount &+ valueCount
    }

    /// What a put adds to the store's size: its record, and its key's entry in its lease when it has one.
    static func cost(of put: PutRequest) -> Int {
        let record = footprint(keyCount: put.key.count, valueCount: put.value.count)
        return put.lease == 0 ? record : record &+ LeaseTable.bytesPerAttachedKey &+ put.key.count
    }

    @inline(__always)
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeMutablePointers { header, elements in
            try body(UnsafeRawBufferPointer(start: elements, count: Int(header.pointee.keyCount)))
        }
    }

    @inline(__always)
    func withValueBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeMutablePointers { header, elements in
            try body(UnsafeRawBufferPointer(start: elements + Int(header.pointee.keyCount),
                                            count: Int(header.pointee.valueCount)))
        }
    }

    var key: [UInt8] { withKeyBytes(Self.copy) }
    var value: [UInt8] { withValueBytes(Self.copy) }

    /// One allocation and one memcpy. `Array(UnsafeRawBufferPointer)` specializes to a cached type
    /// lookup; `Array(unsafeUninitializedCapacity:)` calls the generic allocator, which looks the array
    /// type up in the runtime's metadata cache on every call.
    @inline(__always)
    static func copy(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        Array(bytes)
    }

    /// The public view of this version (`keysOnly` leaves the value empty), sharing this record's bytes.
    @inline(__always)
    func keyValue(keysOnly: Bool = false) -> KeyValue {
        KeyValue(self, keysOnly: keysOnly)
    }

    /// Loads the header (its first and last words: a header may straddle two cache lines) and returns
    /// a value that is non-zero for every record (its key is never empty): a batch of touches brings
    /// several records' headers into cache at once.
    @inline(__always)
    func touch() -> UInt64 {
        withUnsafeMutablePointerToHeader { header in
            UInt64(header.pointee.keyCount) | UInt64(bitPattern: header.pointee.lease)
        }
    }

    /// Three-way comparison of this record's key with `other` bytes.
    @inline(__always)
    func compareKey(to other: UnsafeRawBufferPointer) -> Int {
        withKeyBytes { KeyBytes.compare($0, other) }
    }
}

/// Byte-string helpers shared by the index and its probes.
enum KeyBytes {
    /// Lexicographic three-way comparison (a proper prefix sorts first).
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmpBytes(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c }
        }
        return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
    }

    @inline(__always)
    private static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
        var i = 0
        // Word-at-a-time while equal, then byte-wise for the differing word.
        while i &+ 8 <= n {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let y = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != y {
                let bx = x.bigEndian, by = y.bigEndian
                return bx < by ? -1 : 1
            }
            i &+= 8
        }
        while i < n {
            let x = a.load(fromByteOffset: i, as: UInt8.self)
            let y = b.load(fromByteOffset: i, as: UInt8.self)
            if x != y { return x < y ? -1 : 1 }
            i &+= 1
        }
        return 0
    }

    /// The first eight bytes as a big-endian integer, zero padded: comparing prefixes orders keys
    /// correctly whenever the prefixes differ.
    @inline(__always)
    static func prefix(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        if bytes.count >= 8 { return bytes.loadUnaligned(as: UInt64.self).bigEndian }
        var value: UInt64 = 0
        for i in 0..<bytes.count { value |= UInt64(bytes[i]) << (56 - 8 * UInt64(i)) }
        return value
    }
}
