/// A write of one key.
public struct PutRequest: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The lease to attach the key to (0: none; a key put without a lease loses any earlier one).
    public var lease: Int64
    /// Return the key's previous version.
    public var prevKV: Bool
    /// Keep the current value (the key must exist; `value` must be empty).
    public var ignoreValue: Bool
    /// Keep the current lease (the key must exist; `lease` must be 0).
    public var ignoreLease: Bool

    public init(key: [UInt8], value: [UInt8], lease: Int64 = 0, prevKV: Bool = false,
                ignoreValue: Bool = false, ignoreLease: Bool = false) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }
}

public struct PutResponse: Hashable, Sendable {
    public var header: ResponseHeader
    /// The version the put replaced, when `prevKV` was asked for and the key existed.
    public var prevKV: KeyValue?

    public init(header: ResponseHeader, prevKV: KeyValue? = nil) {
        self.header = header
        self.prevKV = prevKV
    }
}
