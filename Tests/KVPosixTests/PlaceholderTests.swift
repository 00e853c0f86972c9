import Testing
@testable import KVPosix
