import Testing
@testable import KVProtocol
