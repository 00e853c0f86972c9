import Testing
@testable import HTTP2

@Suite struct HTTP2SmokeTests {
    @Test func moduleLoads() {
        #expect(HTTP2.clientPreface.count == 24)
    }
}
