import Testing
@testable import KVStore
