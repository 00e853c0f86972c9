/// Where a store sends every change it applies, encoded as a `JournalRecord`, so that another component
/// (kvserver's write-ahead log) can make them durable and replay them after a restart.
///
/// The store calls `append` under its own lock, in exactly the order the changes apply, and only for
/// changes that did apply: a refused or failed write appends nothing. An implementation must be quick
/// and must not block on I/O (copy the bytes into a buffer; write them elsewhere).
public protocol StoreJournal: AnyObject, Sendable {
    /// One encoded record (see `JournalRecord.decode`). The bytes are valid only during the call.
    func append(_ record: UnsafeRawBufferPointer)
}
