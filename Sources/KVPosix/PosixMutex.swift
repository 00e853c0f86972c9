import KVSync

/// The event loop's name for the project's pthread-backed lock (see `Locked`).
public typealias PosixMutex<Value> = Locked<Value>
