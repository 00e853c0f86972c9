import Testing
import KVStore
import TestSupport

/// CRC-32C, in hardware where the CPU has it: the standard check value, and agreement with a bitwise
/// reference on random lengths, alignments and splits.
struct CRC32CTests {
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func agreesWithTheBitwiseDefinition() {
        var random = SeededGenerator(seed: 0xC3C3)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...100, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let start = Int.random(in: 0...min(7, bytes.count), using: &random)
            let slice = Array(bytes[start...])
            #expect(CRC32C.checksum(bytes[start...]) == reference(slice))
            var split = CRC32C()
            let cut = Int.random(in: 0...slice.count, using: &random)
            split.update(Array(slice[..<cut]))
            slice[cut...].withUnsafeBytes { split.update($0) }
            #expect(split.value == reference(slice))
        }
    }
}
