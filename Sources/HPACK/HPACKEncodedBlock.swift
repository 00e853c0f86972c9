/// A header list encoded once, to be sent many times: a server's constant response headers and
/// trailers (`:status: 200`, `content-type: application/grpc`, `grpc-status: 0`) cost a copy instead of
/// an encoding per response.
///
/// Valid on any connection at any time because `HPACKEncoder` never indexes: its blocks depend on no
/// table state. (A dynamic table size update the encoder owes the peer is prepended by
/// `HPACKEncoder.append(_:into:)`.)
public struct HPACKEncodedBlock: Sendable, Hashable {
    public let fields: [HeaderField]
    public let bytes: [UInt8]

    public init(_ fields: [HeaderField]) {
        var encoder = HPACKEncoder()
        var bytes: [UInt8] = []
        encoder.encode(fields, into: &bytes)
        self.fields = fields
        self.bytes = bytes
    }
}

extension HPACKEncoder {
    /// Appends a block encoded beforehand, as `encode(block.fields, into:)` would.
    public mutating func append(_ block: HPACKEncodedBlock, into output: inout [UInt8]) {
        encode([], into: &output)  // a pending table size update, if any
        output.append(contentsOf: block.bytes)
    }
}
