import Protobuf

/// A value with a protobuf encoding of etcd's API: one of etcd's messages, field numbers and types
/// as in etcd's `rpc.proto`, `kv.proto` and `auth.proto`.
///
/// Encoding is exact proto3: fields holding their default value are not written, fields are written in
/// field-number order (as etcd's gogoproto marshalers do, so the bytes match etcd's), and
/// `encode(into:)` writes exactly `encodedSize` bytes. Decoding accepts any valid encoding of the
/// message: fields in any order, unknown fields skipped, a scalar seen twice keeps its last value,
/// an embedded message seen twice is merged.
public protocol EtcdMessage {
    /// Every field at its default (the decoding of zero bytes).
    static var protobufDefault: Self { get }
    /// The bytes `encode(into:)` writes.
    var encodedSize: Int { get }
    /// Writes the message's fields (without a tag or length of its own).
    func encode(into writer: inout ProtobufWriter)
    /// Reads fields until the reader's end, over the current values.
    mutating func merge(from reader: inout ProtobufReader) throws(EtcdWireError)
}

extension EtcdMessage {
    /// The message's encoding.
    public func encoded() -> [UInt8] {
        Protobuf.encode(size: encodedSize) { encode(into: &$0) }
    }

    /// Appends the message's encoding to `output` (e.g. after a gRPC frame's 5-byte prefix).
    public func append(to output: inout [UInt8]) {
        Protobuf.append(size: encodedSize, to: &output) { encode(into: &$0) }
    }

    /// Decodes the message from `bytes`, nesting bounded by `EtcdWire.maximumDepth`.
    public init(protobuf bytes: UnsafeRawBufferPointer) throws(EtcdWireError) {
        var reader = ProtobufReader(bytes, maximumDepth: EtcdWire.maximumDepth)
        self = Self.protobufDefault
        try merge(from: &reader)
    }

    /// Decodes the message from `bytes`.
    public init(protobuf bytes: [UInt8]) throws(EtcdWireError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(EtcdWireError) -> Self in try Self(protobuf: buffer) }
        }
        self = try result.get()
    }
}
