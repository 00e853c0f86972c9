import KVProtocol
import KVStore
import Protobuf

/// etcd's gRPC API (etcd's `rpc.proto`, `kv.proto`, `auth.proto`) in protobuf, mapped onto the typed
/// requests and responses every front end shares.
///
/// The gRPC layer calls `EtcdMethod(path:)`, then `decodeRequest(_:_:)` for each message a client
/// sends, hands `.request` calls to the service, encodes what comes back with `encodeResponse(_:)`
/// (or an EtcdWire message type's `encoded()` for calls the service does not model), and answers
/// failures with `status(for:)`.
///
/// Every field of etcd 3.4's messages is mapped, except (read and dropped, or not written):
/// - `MemberListRequest.linearizable` (3.5): a single member is always linearizable;
/// - `AuthUserAddRequest.hashedPassword`, `AuthUserChangePasswordRequest.hashedPassword` (3.5): etcd's
///   API layer fills them in; clients send `password`;
/// - `LeaseGrantResponse.error`: etcd's server never sets it;
/// - `StatusResponse.storageVersion` (3.6); our `StatusResponse.compactRevision`, `LeaseGrantRequest.keys`
///   and `SnapshotRequest.revision` have no field in etcd's messages;
/// - `WatchCreateRequest.fragment` is kept by `EtcdWatchRequest.create`, not by `Request.watch`.
///
/// Enum values etcd does not define: an unknown sort order reads as no sort (what etcd does); unknown
/// watch filters are ignored (as etcd ignores them); alarm and downgrade enums stay open
/// (`EtcdAlarmType`); an unknown sort target, compare result or target, permission type or event type
/// is `EtcdWireError.unsupportedValue` (our typed requests cannot hold it).
public enum EtcdWire {
    /// The deepest nesting of messages decoding follows: a transaction
    /// `TxnLimits.maximumNestingDepth` levels deep (two messages a level), the ops and KeyValues of its
    /// innermost level and its reply's. Anything deeper is refused before it is read.
    public static let maximumDepth = 2 * (TxnLimits.maximumNestingDepth + 1) + 2
}
