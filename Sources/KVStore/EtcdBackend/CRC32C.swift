import CKVStore

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the hash `etcdctl snapshot status` prints
/// for an etcd backend file, over every bucket name, key and value in order; kvserver's write-ahead log
/// checks each record with it too.
public struct CRC32C: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// Whether this CPU computes it in hardware (SSE4.2), asked once.
    private static let hardware = ckv_crc32c_hardware_available() == 1

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if Self.hardware, let base = bytes.baseAddress {
            value = ~ckv_crc32c_update(~value, base, bytes.count)
            return
        }
        var crc = ~value
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        value = ~crc
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        var contiguous = self
        if bytes.withContiguousStorageIfAvailable({ contiguous.update(UnsafeRawBufferPointer($0)) }) != nil {
            self = contiguous
            return
        }
        var crc = ~value
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        value = ~crc
    }

    /// The checksum of `bytes` (check value: `checksum("123456789".utf8) == 0xE3069283`).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }
}
