// `import KVClient` is all an app needs: the requests and responses it sends and receives are
// KVProtocol's and KVStore's types.
@_exported import KVProtocol
@_exported import KVStore
