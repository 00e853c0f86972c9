import Testing
@testable import HPACK

@Suite struct HPACKSmokeTests {
    @Test func moduleLoads() {
        #expect(HeaderField("a", "b").size == 34)
    }
}
