import KVStore
import Protobuf

/// A small message read whole, for the administrative messages (cluster, maintenance, auth) whose
/// decoding is not on a hot path: fields are collected first, then read by number with the type etcd
/// declares, which checks each occurrence's wire type. The same rules as the hand-written decoders:
/// unknown fields skipped, the last occurrence of a scalar wins, a repeated field keeps every one.
struct FieldBag {
    private var entries: [(tag: ProtobufReader.Tag, value: UInt64, bytes: [UInt8])] = []
    private let depth: Int

    init(_ reader: inout ProtobufReader) throws(EtcdWireError) {
        depth = reader.depth
        while let tag = try reader.tag() {
            switch tag.wireType {
            case .varint: entries.append((tag, try reader.uint64(tag), []))
            case .lengthDelimited: entries.append((tag, 0, try reader.bytes(tag)))
            default:
                // Kept (valueless) so that a known field sent with such a wire type is still refused.
                try reader.skipField(tag)
                entries.append((tag, 0, []))
            }
        }
    }

    private func occurrences(_ field: UInt32, _ wireType: Protobuf.WireType) throws(EtcdWireError)
        -> [(tag: ProtobufReader.Tag, value: UInt64, bytes: [UInt8])] {
        let found = entries.filter { $0.tag.field == field }
        for entry in found where entry.tag.wireType != wireType {
            throw .malformed(.wrongWireType(field: field, expected: wireType, got: entry.tag.wireType))
        }
        return found
    }

    func uint64(_ field: UInt32) throws(EtcdWireError) -> UInt64 { try occurrences(field, .varint).last?.value ?? 0 }
    func int64(_ field: UInt32) throws(EtcdWireError) -> Int64 { Int64(bitPattern: try uint64(field)) }
    func int32(_ field: UInt32) throws(EtcdWireError) -> Int32 { Int32(truncatingIfNeeded: try uint64(field)) }
    func uint32(_ field: UInt32) throws(EtcdWireError) -> UInt32 { UInt32(truncatingIfNeeded: try uint64(field)) }
    func bool(_ field: UInt32) throws(EtcdWireError) -> Bool { try uint64(field) != 0 }

    func bytes(_ field: UInt32) throws(EtcdWireError) -> [UInt8] {
        try occurrences(field, .lengthDelimited).last?.bytes ?? []
    }

    func string(_ field: UInt32) throws(EtcdWireError) -> String { try strings(field).last ?? "" }

    func strings(_ field: UInt32) throws(EtcdWireError) -> [String] {
        var result: [String] = []
        for entry in try occurrences(field, .lengthDelimited) {
            guard let text = String(validating: entry.bytes, as: UTF8.self) else {
                throw .malformed(.invalidUTF8(field: field))
            }
            result.append(text)
        }
        return result
    }

    /// Every occurrence of an embedded message field, each read as a bag (nesting still bounded by
    /// `EtcdWire.maximumDepth`).
    func messages(_ field: UInt32) throws(EtcdWireError) -> [FieldBag] {
        guard depth < EtcdWire.maximumDepth else { throw .malformed(.nestingTooDeep(limit: EtcdWire.maximumDepth)) }
        var result: [FieldBag] = []
        for entry in try occurrences(field, .lengthDelimited) {
            let bag = entry.bytes.withUnsafeBytes { buffer in
                Result { () throws(EtcdWireError) -> FieldBag in
                    var reader = ProtobufReader(buffer, maximumDepth: EtcdWire.maximumDepth &- depth &- 1)
                    return try FieldBag(&reader)
                }
            }
            result.append(try bag.get())
        }
        return result
    }

    /// A singular embedded message field: its occurrences merged (read as one bag), or nil when absent.
    func message(_ field: UInt32) throws(EtcdWireError) -> FieldBag? {
        let all = try messages(field)
        guard var merged = all.first else { return nil }
        for next in all.dropFirst() { merged.entries += next.entries }
        return merged
    }
}
