import Testing
@testable import EtcdWire
import Protobuf

@Suite struct EtcdWireSmokeTests {
    @Test func moduleLoads() {
        #expect(Protobuf.WireType.lengthDelimited.rawValue == 2)
    }
}
