/// Appends the journal's little-endian fields to a byte array (see `JournalRecord`).
struct JournalEncoder {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func uint32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func field(_ value: UnsafeRawBufferPointer) {
        uint32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func append(_ more: [UInt8]) { bytes.append(contentsOf: more) }

    // The records (`JournalRecord`'s layout, written once for both the store's hot path and `encoded`).

    mutating func changesHeader(revision: Int64, count: Int) {
        byte(JournalRecord.changesTag)
        int64(revision)
        uint32(UInt32(count))
    }

    mutating func putChange(key: UnsafeRawBufferPointer, lease: Int64, value: UnsafeRawBufferPointer) {
        byte(0)
        field(key)
        int64(lease)
        field(value)
    }

    mutating func deleteChange(key: UnsafeRawBufferPointer) {
        byte(1)
        field(key)
    }

    mutating func compaction(revision: Int64) {
        byte(JournalRecord.compactionTag)
        int64(revision)
    }

    mutating func leaseGrant(id: Int64, ttl: Int64) {
        byte(JournalRecord.leaseGrantTag)
        int64(id)
        int64(ttl)
    }

    mutating func leaseRemoval(id: Int64) {
        byte(JournalRecord.leaseRemovalTag)
        int64(id)
    }
}

/// Reads the journal's fields from one record, refusing any length that runs past its end.
struct JournalDecoder {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }
    var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset...]) }
    mutating func skipRest() { offset = bytes.count }

    private mutating func take(_ count: Int, _ what: String) throws(JournalError) -> UnsafeRawBufferPointer {
        guard count <= remaining else {
            throw JournalError(offset: offset, reason: "the record ends inside \(what) (\(count) bytes needed, \(remaining) left)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func byte(_ what: String) throws(JournalError) -> UInt8 { try take(1, what)[0] }

    mutating func uint32(_ what: String) throws(JournalError) -> UInt32 {
        UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self))
    }

    mutating func int64(_ what: String) throws(JournalError) -> Int64 {
        Int64(littleEndian: try take(8, what).loadUnaligned(as: Int64.self))
    }

    mutating func field(_ what: String) throws(JournalError) -> [UInt8] {
        let length = Int(try uint32("the length of \(what)"))
        guard length <= JournalRecord.maximumFieldLength else {
            throw JournalError(offset: offset - 4, reason: "\(what) of \(length) bytes is longer than any record holds")
        }
        return Array(try take(length, what))
    }
}
