/// Encodes header lists for one HTTP/2 connection (RFC 7541), deliberately without a dynamic table.
///
/// What it emits, and why:
/// - A field equal to a static table entry (`:status: 200`, `:method: POST`, …) as that index: one byte.
/// - Any other field as a literal *without indexing* (§6.2.2), naming a static table entry when the name is there.
///   Nothing ever enters the peer's dynamic table, so no state can drift between us and the peer, a peer that
///   advertises SETTINGS_HEADER_TABLE_SIZE 0 is served correctly, and there is no table to search per field.
/// - Each string Huffman-coded when that is shorter, else raw. Measuring costs one table lookup per byte.
///
/// The output decodes with any conforming HPACK decoder, whatever its table state.
public struct HPACKEncoder: Sendable {
    /// A dynamic table size update owed to the peer's decoder (see `setPeerMaxTableSize`), sent at the next block.
    private var pendingTableSizeUpdate: Int?
    /// The table size the peer's decoder currently assumes for us (RFC 9113's initial 4096, or what we last sent).
    private var signalledTableSize = 4096

    public init() {}

    /// Tells the encoder the peer's SETTINGS_HEADER_TABLE_SIZE. If it is below the size the peer's decoder assumes
    /// our table has, the next block starts with a dynamic table size update (RFC 7541 §4.2), which strict decoders
    /// require. Our table is always empty, so larger values need nothing.
    public mutating func setPeerMaxTableSize(_ size: Int) {
        let size = Swift.max(0, size)
        guard size < signalledTableSize else { return }
        signalledTableSize = size
        pendingTableSizeUpdate = size
    }

    /// Appends the encoding of `headers`, in order, to `output` (one header block; HTTP/2 splits it into frames).
    public mutating func encode(_ headers: [HeaderField], into output: inout [UInt8]) {
        if let size = pendingTableSizeUpdate {
            HPACKInteger.encode(size, prefixBits: 5, flags: 0x20, into: &output)
            pendingTableSizeUpdate = nil
        }
        for field in headers {
            guard let known = StaticTable.indicesByName[field.name] else {
                output.append(0x00)  // Literal without indexing, new name.
                Self.appendString(field.name, to: &output)
                Self.appendString(field.value, to: &output)
                continue
            }
            if let match = (known.first..<(known.first + known.count)).first(where: {
                StaticTable.entries[$0 - 1].value == field.value
            }) {
                HPACKInteger.encode(match, prefixBits: 7, flags: 0x80, into: &output)  // Indexed.
            } else {
                HPACKInteger.encode(known.first, prefixBits: 4, flags: 0x00, into: &output)  // Indexed name.
                Self.appendString(field.value, to: &output)
            }
        }
    }

    /// A string literal (§5.2), Huffman-coded only if strictly shorter.
    static func appendString(_ string: String, to output: inout [UInt8]) {
        let utf8 = string.utf8
        let rawCount = utf8.count
        let huffmanCount = Huffman.encodedCount(utf8)
        if huffmanCount < rawCount {
            HPACKInteger.encode(huffmanCount, prefixBits: 7, flags: 0x80, into: &output)
            Huffman.encode(utf8, into: &output)
        } else {
            HPACKInteger.encode(rawCount, prefixBits: 7, flags: 0x00, into: &output)
            output.append(contentsOf: utf8)
        }
    }
}
