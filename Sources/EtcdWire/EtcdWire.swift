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
public enum EtcdWire {
    /// The deepest nesting of messages decoding follows: a transaction
    /// `TxnLimits.maximumNestingDepth` levels deep (two messages a level), the ops and KeyValues of its
    /// innermost level and its reply's. Anything deeper is refused before it is read.
    public static let maximumDepth = 2 * (TxnLimits.maximumNestingDepth + 1) + 2
}
