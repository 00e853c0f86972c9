import KVProtocol
import KVStore

/// This member's stable identity, derived from its configuration the way etcd derives ids from its
/// own: the same name and advertised URLs always give the same member and cluster ids, across
/// restarts and machines; different members (different name or URLs) get different ids.
///
///     member  = first 8 bytes (big-endian) of SHA-256("kvstore member\0" + name + "\0" + sorted URLs joined by ",")
///     cluster = first 8 bytes (big-endian) of SHA-256("kvstore cluster\0" + member id in hex)
///
/// A zero result (astronomically unlikely) is replaced by 1, since etcd treats 0 as "no id".
struct MemberIdentity: Sendable, Equatable {
    let name: String
    let clientURLs: [String]
    let memberID: UInt64
    let clusterID: UInt64
    /// Peer URLs are not configurable yet (a single member has no peers); reported as etcd's default.
    let peerURLs = ["http://localhost:2380"]

    init(name: String, advertiseClientURLs: [String]) {
        self.name = name
        self.clientURLs = advertiseClientURLs
        let urls = advertiseClientURLs.sorted().joined(separator: ",")
        memberID = MemberIdentity.id(Array("kvstore member\0\(name)\0\(urls)".utf8))
        clusterID = MemberIdentity.id(Array("kvstore cluster\0\(String(memberID, radix: 16))".utf8))
    }

    private static func id(_ bytes: [UInt8]) -> UInt64 {
        let digest = SHA256.hash(bytes)
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return value == 0 ? 1 : value
    }

    var member: Member {
        Member(id: memberID, name: name, peerURLs: peerURLs, clientURLs: clientURLs)
    }
}
