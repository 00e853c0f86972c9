/// One version of one key, as a read returns it.
///
/// `createRevision` is the revision of the put that started this key's current generation (a put after a
/// delete starts a new one), `modRevision` that of its latest put, `version` counts the puts since the
/// generation started (1 on creation), and `lease` is the attached lease ID or 0.
///
/// A key-value read from a store shares the store's immutable record of that version instead of copying
/// its bytes: `key` and `value` copy them out on each access (as arrays), while `withKeyBytes` and
/// `withValueBytes` read them in place. Setting `key` or `value` gives the key-value its own arrays.
public struct KeyValue: Hashable, Sendable {
    /// The key and value bytes when they are not a store record's.
    private var keyArray: [UInt8]
    private var valueArray: [UInt8]
    /// The store record holding the key and value bytes, if any. Unchecked: a `KVRecord` (a
    /// `ManagedBuffer`, which the standard library marks non-`Sendable`) never changes after it is
    /// made, so any thread may read it.
    private nonisolated(unsafe) var record: KVRecord?
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64 = 0) {
        keyArray = key
        valueArray = value
        record = nil
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The version `record` holds, sharing its bytes (copying the key when `keysOnly`).
    init(_ record: KVRecord, keysOnly: Bool) {
        if keysOnly {
            keyArray = record.key
            self.record = nil
        } else {
            keyArray = []
            self.record = record
        }
        valueArray = []
        createRevision = record.createRevision
        modRevision = record.modMain
        version = record.version
        lease = record.lease
    }

    public var key: [UInt8] {
        get { record?.key ?? keyArray }
        set {
            if let record {
                valueArray = record.value
                self.record = nil
            }
            keyArray = newValue
        }
    }

    public var value: [UInt8] {
        get { record?.value ?? valueArray }
        set {
            if let record {
                keyArray = record.key
                self.record = nil
            }
            valueArray = newValue
        }
    }

    /// Calls `body` with the key bytes, without copying them.
    public func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let record { return try record.withKeyBytes(body) }
        return try keyArray.withUnsafeBytes(body)
    }

    /// Calls `body` with the value bytes, without copying them.
    public func withValueBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let record { return try record.withValueBytes(body) }
        return try valueArray.withUnsafeBytes(body)
    }

    /// The number of key bytes.
    public var keyCount: Int { withKeyBytes { $0.count } }
    /// The number of value bytes.
    public var valueCount: Int { withValueBytes { $0.count } }

    /// The key decoded as UTF-8 (invalid sequences repaired), for display and tests.
    public var keyString: String { withKeyBytes { String(decoding: $0, as: UTF8.self) } }
    /// The value decoded as UTF-8 (invalid sequences repaired), for display and tests.
    public var valueString: String { withValueBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (a: KeyValue, b: KeyValue) -> Bool {
        guard a.createRevision == b.createRevision, a.modRevision == b.modRevision,
              a.version == b.version, a.lease == b.lease else { return false }
        if let x = a.record, let y = b.record, x === y { return true }
        return a.withKeyBytes { ak in b.withKeyBytes { bk in ak.elementsEqual(bk) } }
            && a.withValueBytes { av in b.withValueBytes { bv in av.elementsEqual(bv) } }
    }

    public func hash(into hasher: inout Hasher) {
        withKeyBytes { hasher.combine($0.count); hasher.combine(bytes: $0) }
        withValueBytes { hasher.combine($0.count); hasher.combine(bytes: $0) }
        hasher.combine(createRevision)
        hasher.combine(modRevision)
        hasher.combine(version)
        hasher.combine(lease)
    }
}
