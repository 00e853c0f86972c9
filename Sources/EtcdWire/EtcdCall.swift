import KVProtocol
import KVStore

/// What one message a client sent asks for: a typed `Request` the service handles, or one of etcd's
/// calls the service does not model (yet), with its arguments.
public enum EtcdCall: Hashable, Sendable {
    /// Anything the service handles: KV, leases (keep-alives included), status, member list, HashKV,
    /// snapshot, authenticate and every auth management request.
    case request(Request)
    /// A message on a Watch stream (it carries etcd's `fragment` flag, which `Request.watch` lacks;
    /// `EtcdWatchRequest.request` is the typed request).
    case watch(EtcdWatchRequest)
    case alarm(EtcdAlarmRequest)
    case defragment
    /// Maintenance/Hash (a hash of the whole backend, not HashKV).
    case hash
    case moveLeader(targetID: UInt64)
    case memberAdd(peerURLs: [String], isLearner: Bool)
    case memberRemove(id: UInt64)
    case memberUpdate(id: UInt64, peerURLs: [String])
    case memberPromote(id: UInt64)
    case downgrade(EtcdDowngradeRequest)
}
