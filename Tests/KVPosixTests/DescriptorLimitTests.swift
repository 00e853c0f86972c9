import Glibc
import Testing
@testable import KVPosix

@Suite struct DescriptorLimitTests {
    @Test func raisingMakesTheSoftLimitTheHardOne() throws {
        let (before, after) = try DescriptorLimit.raiseSoftToHard()
        #expect(after.hard == before.hard)
        #expect(after.soft >= before.soft)
        if before.hard != DescriptorLimit.unlimited {
            #expect(after.soft == after.hard)
        } else {
            #expect(after.soft == DescriptorLimit.kernelCeiling())
        }
        #expect(try DescriptorLimit.current() == after)
        // Already raised: nothing changes.
        let again = try DescriptorLimit.raiseSoftToHard()
        #expect(again.before == again.after)
    }

    @Test func descriptions() {
        #expect(DescriptorLimit(soft: 64, hard: 1024).description == "64 (hard limit 1024)")
        #expect(DescriptorLimit(soft: 1024, hard: .max).description == "1024 (hard limit unlimited)")
        #expect((DescriptorLimit.kernelCeiling() ?? 0) >= 1024, "/proc/sys/fs/nr_open is read")
    }

    @Test func theSpareIsReleasedAndTakenBack() {
        let spare = SpareDescriptor()
        #expect(spare.isHeld)
        #expect(spare.release())
        #expect(!spare.isHeld)
        #expect(!spare.release(), "nothing left to release")
        #expect(spare.reacquire())
        #expect(spare.isHeld)
        #expect(spare.reacquire(), "taking it again keeps the one held")
    }
}
