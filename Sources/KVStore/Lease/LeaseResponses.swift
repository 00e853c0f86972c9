/// A granted lease: its ID and the TTL it was given (after the 2-second floor).
public struct LeaseGrantResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var id: Int64
    public var ttl: Int64

    public init(header: ResponseHeader, id: Int64, ttl: Int64) {
        self.header = header
        self.id = id
        self.ttl = ttl
    }
}

public struct LeaseRevokeResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public init(header: ResponseHeader) { self.header = header }
}

/// A renewed lease: its ID and the TTL it was renewed to (the granted TTL).
public struct LeaseKeepAliveResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var id: Int64
    public var ttl: Int64

    public init(header: ResponseHeader, id: Int64, ttl: Int64) {
        self.header = header
        self.id = id
        self.ttl = ttl
    }
}

/// A lease's remaining and granted TTL, in whole seconds. An unknown or expired lease reports
/// `ttl == -1` and `grantedTTL == 0`, as etcd does, rather than an error.
public struct LeaseTimeToLiveResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var id: Int64
    public var ttl: Int64
    public var grantedTTL: Int64
    /// The attached keys in key order, when asked for.
    public var keys: [[UInt8]]

    public init(header: ResponseHeader, id: Int64, ttl: Int64, grantedTTL: Int64, keys: [[UInt8]] = []) {
        self.header = header
        self.id = id
        self.ttl = ttl
        self.grantedTTL = grantedTTL
        self.keys = keys
    }
}

/// Every live lease, soonest expiry first.
public struct LeaseLeasesResponse: Hashable, Sendable {
    public var header: ResponseHeader
    public var leases: [Int64]

    public init(header: ResponseHeader, leases: [Int64]) {
        self.header = header
        self.leases = leases
    }
}

/// etcd's lease limits.
public enum LeaseLimits {
    /// Shorter TTLs are raised to this (seconds).
    public static let minimumTTL: Int64 = 2
    /// Longer TTLs are refused with `.leaseTTLTooLarge` (seconds).
    public static let maximumTTL: Int64 = 9_000_000_000
}
