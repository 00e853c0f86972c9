/// The few protobuf messages etcd keeps in its backend, encoded and decoded by hand (proto3: zero
/// integers and empty bytes are omitted, fields in number order, as gogo-protobuf writes them):
///
///     mvccpb.KeyValue   1 key  2 create_revision  3 mod_revision  4 version  5 value  6 lease
///     leasepb.Lease     1 ID  2 TTL  3 RemainingTTL
///     authpb.User       1 name  2 password  3 roles (repeated)  4 options {1 no_password}
///     authpb.Role       1 name  2 keyPermission (repeated) {1 permType  2 key  3 range_end}
enum EtcdProto {
    static func varintSize(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    /// A field's size: tag, and a varint (omitted when zero).
    @inline(__always) static func intFieldSize(_ value: Int64) -> Int {
        value == 0 ? 0 : 1 + varintSize(UInt64(bitPattern: value))
    }

    @inline(__always) static func bytesFieldSize(_ count: Int) -> Int {
        count == 0 ? 0 : 1 + varintSize(UInt64(count)) + count
    }

    /// Appends to a byte array (the small messages).
    struct Writer {
        var bytes: [UInt8] = []

        mutating func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }

        mutating func int(_ field: UInt8, _ value: Int64) {
            guard value != 0 else { return }
            bytes.append(field << 3)
            varint(UInt64(bitPattern: value))
        }

        mutating func bytes(_ field: UInt8, _ value: [UInt8], always: Bool = false) {
            guard always || !value.isEmpty else { return }
            bytes.append(field << 3 | 2)
            varint(UInt64(value.count))
            bytes += value
        }
    }

    /// Writes at a raw pointer (KeyValues, written straight into a page); returns the new position.
    @inline(__always) static func putVarint(_ value: UInt64, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var v = value
        var q = p
        while v >= 0x80 {
            q.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, as: UInt8.self)
            q += 1
            v >>= 7
        }
        q.storeBytes(of: UInt8(v), as: UInt8.self)
        return q + 1
    }

    @inline(__always) static func putInt(_ field: UInt8, _ value: Int64, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard value != 0 else { return p }
        p.storeBytes(of: field << 3, as: UInt8.self)
        return putVarint(UInt64(bitPattern: value), at: p + 1)
    }

    @inline(__always) static func putBytes(_ field: UInt8, _ value: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard value.count > 0 else { return p }
        p.storeBytes(of: field << 3 | 2, as: UInt8.self)
        let q = putVarint(UInt64(value.count), at: p + 1)
        q.copyMemory(from: value.baseAddress!, byteCount: value.count)
        return q + value.count
    }

    // MARK: Reading

    struct Malformed: Error { let reason: String }

    /// Visits each field of a message: number, and either a varint or the bytes of a length-delimited
    /// field. Fixed-width fields are skipped; groups, bad tags and lengths past the end are refused.
    static func forEachField(_ message: UnsafeRawBufferPointer,
                             _ body: (Int, UInt64, UnsafeRawBufferPointer?) throws(Malformed) -> Void) throws(Malformed) {
        var offset = 0
        func varint() throws(Malformed) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < message.count else { throw Malformed(reason: "a varint runs past the message") }
                let byte = message[offset]
                offset += 1
                guard shift < 64 else { throw Malformed(reason: "a varint longer than 10 bytes") }
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }
        while offset < message.count {
            let tag = try varint()
            let field = tag >> 3
            guard field >= 1, field <= 1 << 29 else { throw Malformed(reason: "field number \(field)") }
            switch tag & 7 {
            case 0:
                try body(Int(field), try varint(), nil)
            case 2:
                let length = try varint()
                guard length <= UInt64(message.count - offset) else { throw Malformed(reason: "field \(field) is longer than its message") }
                let bytes = UnsafeRawBufferPointer(rebasing: message[offset..<(offset + Int(length))])
                offset += Int(length)
                try body(Int(field), 0, bytes)
            case 1:
                guard message.count - offset >= 8 else { throw Malformed(reason: "a fixed64 runs past the message") }
                offset += 8
            case 5:
                guard message.count - offset >= 4 else { throw Malformed(reason: "a fixed32 runs past the message") }
                offset += 4
            default:
                throw Malformed(reason: "wire type \(tag & 7) in field \(field)")
            }
        }
    }
}

/// etcd's `mvccpb.KeyValue` as stored in the `key` bucket.
struct EtcdKeyValue {
    var key: [UInt8] = []
    var createRevision: Int64 = 0
    var modRevision: Int64 = 0
    var version: Int64 = 0
    var value: [UInt8] = []
    var lease: Int64 = 0

    /// The encoded size of a record's KeyValue (a tombstone's holds only the key).
    static func size(of record: KVRecord) -> Int {
        if record.isTombstone { return EtcdProto.bytesFieldSize(record.keyCount) }
        return EtcdProto.bytesFieldSize(record.keyCount) + EtcdProto.intFieldSize(record.createRevision)
            + EtcdProto.intFieldSize(record.modMain) + EtcdProto.intFieldSize(record.version)
            + EtcdProto.bytesFieldSize(record.valueCount) + EtcdProto.intFieldSize(record.lease)
    }

    static func write(_ record: KVRecord, to destination: UnsafeMutableRawPointer) {
        var p = record.withKeyBytes { EtcdProto.putBytes(1, $0, at: destination) }
        guard !record.isTombstone else { return }
        p = EtcdProto.putInt(2, record.createRevision, at: p)
        p = EtcdProto.putInt(3, record.modMain, at: p)
        p = EtcdProto.putInt(4, record.version, at: p)
        p = record.withValueBytes { EtcdProto.putBytes(5, $0, at: p) }
        _ = EtcdProto.putInt(6, record.lease, at: p)
    }

    /// Decodes the fields this store uses; the value and key are copied.
    init(decoding message: UnsafeRawBufferPointer) throws(EtcdProto.Malformed) {
        try EtcdProto.forEachField(message) { (field, number, bytes) throws(EtcdProto.Malformed) in
            switch (field, bytes) {
            case (1, let bytes?): key = Array(bytes)
            case (2, nil): createRevision = Int64(bitPattern: number)
            case (3, nil): modRevision = Int64(bitPattern: number)
            case (4, nil): version = Int64(bitPattern: number)
            case (5, let bytes?): value = Array(bytes)
            case (6, nil): lease = Int64(bitPattern: number)
            case (1...6, _): throw EtcdProto.Malformed(reason: "field \(field) has the wrong wire type")
            default: break
            }
        }
    }
}
