import Synchronization

/// A revisioned, in-memory key-value store with etcd v3 semantics.
///
/// Thread-safe: every method may be called from any thread. Writes are serialized; a read sees exactly
/// the state at one revision.
public final class Store: Sendable {
    public let configuration: StoreConfiguration

    public init(configuration: StoreConfiguration = StoreConfiguration()) {
        self.configuration = configuration
    }

    public func range(_ request: RangeRequest) throws(StoreError) -> RangeResponse { fatalError("todo") }
    public func put(_ request: PutRequest) throws(StoreError) -> PutResponse { fatalError("todo") }
    public func deleteRange(_ request: DeleteRangeRequest) throws(StoreError) -> DeleteRangeResponse { fatalError("todo") }
    public func txn(_ request: TxnRequest) throws(StoreError) -> TxnResponse { fatalError("todo") }
    public func compact(_ request: CompactionRequest) throws(StoreError) -> CompactionResponse { fatalError("todo") }
}
