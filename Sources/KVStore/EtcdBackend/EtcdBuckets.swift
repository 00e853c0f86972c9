/// etcd 3.4's backend buckets and the encodings of their keys (mvcc/kvstore.go, mvcc/revision.go,
/// lease/lessor.go, auth/store.go, etcdserver/api/membership/store.go).
///
///     key              main (8, big-endian) '_' sub (8, big-endian) ['t' for a tombstone] → mvccpb.KeyValue
///     meta             "consistent_index" → u64 BE; "scheduledCompactRev", "finishedCompactRev" → a revision key
///     lease            ID (8, big-endian) → leasepb.Lease
///     auth             "authEnabled" → [1] or [0]; "authRevision" → u64 BE
///     authUsers        name → authpb.User;   authRoles   name → authpb.Role
///     members          member ID in hex → the member as JSON;  members_removed ID → "removed"
///     cluster          "clusterVersion" → "3.4.0"
///     alarm            (empty here: alarms are not carried)
enum EtcdBuckets {
    static let key = Array("key".utf8)
    static let meta = Array("meta".utf8)
    static let lease = Array("lease".utf8)
    static let auth = Array("auth".utf8)
    static let authUsers = Array("authUsers".utf8)
    static let authRoles = Array("authRoles".utf8)
    static let members = Array("members".utf8)
    static let membersRemoved = Array("members_removed".utf8)
    static let cluster = Array("cluster".utf8)
    static let alarm = Array("alarm".utf8)

    static let consistentIndex = Array("consistent_index".utf8)
    static let scheduledCompact = Array("scheduledCompactRev".utf8)
    static let finishedCompact = Array("finishedCompactRev".utf8)
    static let authEnabled = Array("authEnabled".utf8)
    static let authRevision = Array("authRevision".utf8)
    static let clusterVersion = Array("clusterVersion".utf8)

    static let revisionKeySize = 17
    static let tombstoneMark = UInt8(ascii: "t")

    /// A `key` bucket key: main and sub revision, with the tombstone mark for a delete.
    static func revisionKey(main: Int64, sub: Int64, tombstone: Bool = false) -> [UInt8] {
        var bytes = bigEndian(UInt64(bitPattern: main)) + [UInt8(ascii: "_")] + bigEndian(UInt64(bitPattern: sub))
        if tombstone { bytes.append(tombstoneMark) }
        return bytes
    }

    @inline(__always) static func writeRevisionKey(main: Int64, sub: Int64, tombstone: Bool, to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: UInt64(bitPattern: main).bigEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: UInt8(ascii: "_"), toByteOffset: 8, as: UInt8.self)
        p.storeBytes(of: UInt64(bitPattern: sub).bigEndian, toByteOffset: 9, as: UInt64.self)
        if tombstone { p.storeBytes(of: tombstoneMark, toByteOffset: 17, as: UInt8.self) }
    }

    /// Decodes a `key` bucket key; nil unless it is 17 bytes with '_' at 8, or 18 ending in 't'.
    static func parseRevisionKey(_ bytes: UnsafeRawBufferPointer) -> (main: Int64, sub: Int64, tombstone: Bool)? {
        guard bytes.count == 17 || (bytes.count == 18 && bytes[17] == tombstoneMark), bytes[8] == UInt8(ascii: "_") else { return nil }
        let main = Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        let sub = Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 9, as: UInt64.self)))
        return (main, sub, bytes.count == 18)
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func readBigEndian(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        bytes.count == 8 ? UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) : nil
    }

    /// How a password hash of this store is kept in `authpb.User.password`. etcd keeps bcrypt hashes
    /// there; this store's PBKDF2 hashes cannot become bcrypt ones (the password is not known), so they
    /// are written in this form, which etcd's bcrypt check refuses (the user sets a password again on
    /// etcd) and which this store reads back exactly.
    static let pbkdf2Prefix = "$kvserver-pbkdf2-sha256$"

    static func encodePassword(_ hash: PasswordHash) -> [UInt8] {
        Array("\(pbkdf2Prefix)\(hash.iterations)$\(Hex.encode(hash.salt))$\(Hex.encode(hash.digest))".utf8)
    }

    /// This store's hash from a stored password, or nil (a bcrypt hash from etcd, or an empty one).
    static func decodePassword(_ bytes: [UInt8]) -> PasswordHash? {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasPrefix(pbkdf2Prefix) else { return nil }
        let parts = text.dropFirst(pbkdf2Prefix.count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, let iterations = Int(parts[0]), iterations >= 1, iterations <= Int(Int32.max),
              let salt = Hex.decode(String(parts[1])), salt.count <= 1024,
              let digest = Hex.decode(String(parts[2])), !digest.isEmpty, digest.count <= 1024 else { return nil }
        return PasswordHash(salt: salt, iterations: iterations, digest: digest)
    }
}
