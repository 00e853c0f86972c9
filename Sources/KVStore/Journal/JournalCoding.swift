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

    mutating func field(_ value: some Collection<UInt8>) {
        uint32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func field(_ value: UnsafeRawBufferPointer) {
        uint32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func append(_ more: [UInt8]) { bytes.append(contentsOf: more) }
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
