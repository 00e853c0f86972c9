/// Why a header block could not be decoded.
///
/// Two kinds, and HTTP/2 must treat them differently (see `isConnectionError`):
///
/// - **Connection errors** (every case but `headerListTooLarge`): the block is malformed, so the decoder's dynamic
///   table may now differ from the peer's encoder's. HTTP/2 must end the connection with COMPRESSION_ERROR
///   (RFC 9113 §4.3); the decoder must not be used again.
/// - **Stream error** (`headerListTooLarge`): the block was well formed and decoded to its end, so the dynamic table
///   is still in step with the peer, but its header list is larger than we accept. HTTP/2 can refuse just that
///   stream (e.g. RST_STREAM, or a 431-like gRPC status) and keep decoding later blocks with the same decoder.
public enum HPACKError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An integer (index, length or table size) runs past the end of the block.
    case truncatedInteger
    /// An integer does not fit our bound (2^31 - 1) or uses more continuation bytes than such a value needs.
    case integerOverflow
    /// A string literal's length prefix says more bytes than are left in the block.
    case stringLongerThanBlock(length: Int, remaining: Int)
    /// Index 0, or an index past the end of the static plus dynamic table.
    case invalidIndex(Int)
    /// A Huffman-coded string ends with more than 7 bits of padding, or padding that is not all ones.
    case invalidHuffmanPadding
    /// A Huffman-coded string contains the EOS symbol (RFC 7541 §5.2: a decoding error).
    case huffmanEOSInString
    /// A dynamic table size update asks for more than the SETTINGS_HEADER_TABLE_SIZE we advertised.
    case tableSizeUpdateAboveLimit(requested: Int, limit: Int)
    /// A dynamic table size update after a header field in the same block (RFC 7541 §4.2 wants them first).
    case tableSizeUpdateNotAtBlockStart
    /// We lowered `maxTableSize` below the table's current size, and the peer's next block started with a header
    /// field instead of the dynamic table size update that RFC 7541 §4.2 requires.
    case tableSizeUpdateMissing(limit: Int)
    /// The decoded header list (sum of name + value octets + 32 per field) exceeds `maxHeaderListSize`.
    /// The only stream-level error: the block was still decoded to its end and the dynamic table is in sync.
    case headerListTooLarge(limit: Int)

    /// True if HTTP/2 must close the connection with COMPRESSION_ERROR; false only for `headerListTooLarge`,
    /// after which the same decoder keeps working and only the offending stream is refused.
    public var isConnectionError: Bool {
        if case .headerListTooLarge = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .truncatedInteger:
            return "HPACK: integer runs past the end of the header block"
        case .integerOverflow:
            return "HPACK: integer too large"
        case .stringLongerThanBlock(let length, let remaining):
            return "HPACK: string literal of \(length) bytes but only \(remaining) left in the header block"
        case .invalidIndex(let index):
            return "HPACK: invalid table index \(index)"
        case .invalidHuffmanPadding:
            return "HPACK: invalid Huffman padding (more than 7 bits, or not all ones)"
        case .huffmanEOSInString:
            return "HPACK: Huffman-coded string contains EOS"
        case .tableSizeUpdateAboveLimit(let requested, let limit):
            return "HPACK: dynamic table size update to \(requested) exceeds the limit \(limit)"
        case .tableSizeUpdateNotAtBlockStart:
            return "HPACK: dynamic table size update after a header field"
        case .tableSizeUpdateMissing(let limit):
            return "HPACK: expected a dynamic table size update to at most \(limit) at the start of the block"
        case .headerListTooLarge(let limit):
            return "HPACK: header list larger than \(limit) bytes"
        }
    }
}
