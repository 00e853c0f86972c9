import KVClient
import KVProtocol
import KVStore

/// The backend over the network client. Until the client module lands, connecting reports the
/// server as unreachable.
enum ClientBackend {
    static func connect(endpoints: [String], dialTimeout: Int64, commandTimeout: Int64) throws(BackendError) -> Backend {
        throw .unavailable
    }
}
