import KVProtocol
import KVStore
import Protobuf

/// etcd's gRPC API (etcd's `rpc.proto`, `kv.proto`, `auth.proto`) in protobuf, mapped onto the typed
/// requests and responses every front end shares.
public enum EtcdWire {}
