import Testing
@testable import KVServer

/// A connection's output waiting for the log (`HeldOutput`): bytes leave once the log record they could
/// reflect is durable; older bytes are never held by newer ones.
struct HeldOutputTests {
    @Test func nothingIsHeldWhenTheLogIsDurable() {
        var held = HeldOutput()
        held.observe(end: 100, appended: 7, durable: 7)
        #expect(held.sendable(pending: 100, durable: 7) == 100)
        #expect(held.waitingFor == nil)
    }

    @Test func newBytesWaitForWhatWasAppendedBeforeThem() {
        var held = HeldOutput()
        // 40 bytes produced while record 5 was not durable yet.
        held.observe(end: 40, appended: 5, durable: 4)
        #expect(held.sendable(pending: 40, durable: 4) == 0)
        #expect(held.waitingFor == 5)
        // 60 more, produced after record 9 was appended.
        held.observe(end: 100, appended: 9, durable: 4)
        #expect(held.sendable(pending: 100, durable: 4) == 0)
        // Record 5 durable: the first 40 bytes may leave, not the rest.
        #expect(held.sendable(pending: 100, durable: 5) == 40)
        held.sent += 40
        #expect(held.waitingFor == 9)
        #expect(held.sendable(pending: 60, durable: 8) == 0)
        #expect(held.sendable(pending: 60, durable: 9) == 60)
        held.sent += 60
        #expect(held.waitingFor == nil)
    }

    /// Bytes already looked at are not held again by a later look; a partial send is resumed.
    @Test func partialSendsAndRepeatedLooks() {
        var held = HeldOutput()
        held.observe(end: 10, appended: 1, durable: 1)
        held.observe(end: 10, appended: 3, durable: 1)
        #expect(held.sendable(pending: 10, durable: 1) == 10, "the 10 bytes were produced while everything was durable")
        held.sent += 4
        held.observe(end: 30, appended: 3, durable: 1)
        #expect(held.sendable(pending: 26, durable: 1) == 6, "the 6 older bytes may go, the 20 new ones wait")
        held.sent += 6
        #expect(held.sendable(pending: 20, durable: 2) == 0)
        #expect(held.sendable(pending: 20, durable: 3) == 20)
    }

    /// Many holds released in order keep the list short (no growth without bound on a busy connection).
    @Test func aLongRunOfHolds() {
        var held = HeldOutput()
        var end: UInt64 = 0
        for index in 1...10_000 as ClosedRange<UInt64> {
            end += 10
            held.observe(end: end, appended: index, durable: index - 1)
            let sendable = held.sendable(pending: Int(end - held.sent), durable: index - 1)
            #expect(sendable == 10 || index == 1)
            held.sent += UInt64(sendable)
        }
        #expect(held.sendable(pending: Int(end - held.sent), durable: 10_000) == 10)
    }
}
