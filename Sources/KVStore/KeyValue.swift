/// One version of one key, as a read returns it.
///
/// `createRevision` is the revision of the put that started this key's current generation (a put after a
/// delete starts a new one), `modRevision` that of its latest put, `version` counts the puts since the
/// generation started (1 on creation), and `lease` is the attached lease ID or 0.
public struct KeyValue: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The key decoded as UTF-8 (invalid sequences repaired), for display and tests.
    public var keyString: String { String(decoding: key, as: UTF8.self) }
    /// The value decoded as UTF-8 (invalid sequences repaired), for display and tests.
    public var valueString: String { String(decoding: value, as: UTF8.self) }
}
