/// Decodes HTTP/2 header blocks (RFC 7541), one connection's worth: the dynamic table lives from block to block, so
/// use one decoder per connection and feed it every header block in the order received.
///
/// Guarantees:
/// - Never traps and never reads outside the block, whatever the bytes.
/// - Allocates in proportion to bytes actually present, never to a length prefix: a string longer than the rest of
///   the block is an error before anything is allocated, and Huffman output is bounded by 8/5 of its input.
/// - Memory for the result is bounded by `maxHeaderListSize` (plus one field): past it, fields are no longer kept,
///   whatever the block repeats (the "HPACK bomb": one big table entry indexed thousands of times).
/// - Errors are either connection errors or the stream error `.headerListTooLarge`; see `HPACKError`.
///
/// Strings: names and values are built with `String(decoding:as: UTF8.self)`, so invalid UTF-8 is replaced by U+FFFD
/// rather than refused. Sizes (dynamic table, header list) always count the octets as sent, so the table stays in
/// step with the peer regardless. HTTP/2 and gRPC validate names and values (lower-case tokens, no CR/LF/NUL, ASCII
/// metadata) above this layer, where a replaced byte fails those checks.
public struct HPACKDecoder: Sendable {
    /// The peer's dynamic table as we mirror it.
    private(set) var dynamicTable: DynamicTable

    /// The limit for the peer's dynamic table size updates: the SETTINGS_HEADER_TABLE_SIZE we advertised.
    private var tableSizeLimit: Int

    /// Set when `maxTableSize` drops below the table's current capacity: the peer's encoder must then shrink its
    /// table with a size update at the start of its next block (RFC 7541 §4.2), or we would fall out of step.
    private var tableSizeUpdateRequired = false

    /// The bound on one decoded header list: the sum over its fields of name octets + value octets + 32
    /// (RFC 9113 §6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE). Exceeding it throws `.headerListTooLarge` (a stream error).
    public var maxHeaderListSize: Int

    /// - Parameters:
    ///   - maxTableSize: the SETTINGS_HEADER_TABLE_SIZE we advertised (RFC 9113 default 4096), which is also the
    ///     table's initial size. Negative values count as 0; values above 2^31 - 1 as that.
    ///   - maxHeaderListSize: the bound on each decoded header list (see `maxHeaderListSize`).
    public init(maxTableSize: Int = 4096, maxHeaderListSize: Int = 16 * 1024) {
        let limit = Self.clampedTableSize(maxTableSize)
        self.tableSizeLimit = limit
        self.dynamicTable = DynamicTable(capacity: limit)
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// The SETTINGS_HEADER_TABLE_SIZE we advertise. Set it when the peer acknowledges a SETTINGS frame that changed it.
    /// The peer's size updates may not exceed it; if it drops below the table's current size, the peer's next block
    /// must start with a size update that brings the table within it (else `.tableSizeUpdateMissing`).
    public var maxTableSize: Int {
        get { tableSizeLimit }
        set {
            tableSizeLimit = Self.clampedTableSize(newValue)
            tableSizeUpdateRequired = dynamicTable.capacity > tableSizeLimit
        }
    }

    /// The dynamic table's current size in octets (RFC 7541 §4.1) and its current maximum (set by the peer).
    public var dynamicTableSize: Int { dynamicTable.size }
    public var dynamicTableCapacity: Int { dynamicTable.capacity }

    /// Decodes one complete header block (HEADERS or PUSH_PROMISE plus any CONTINUATION fragments, joined).
    ///
    /// On `.headerListTooLarge` the whole block has been decoded (and the dynamic table updated) but its fields
    /// dropped; the decoder remains usable. On any other error the decoder's state is unspecified: the connection
    /// must end (COMPRESSION_ERROR).
    public mutating func decode(_ block: ArraySlice<UInt8>) throws(HPACKError) -> [HeaderField] {
        var fields: [HeaderField] = []
        // Each field takes at least one byte: one allocation covers typical blocks without overreaching on big ones.
        fields.reserveCapacity(Swift.min(block.count, 24))
        var listSize = 0
        var listTooLarge = false
        var sizeUpdatesAllowed = true
        var index = block.startIndex
        let end = block.endIndex

        while index < end {
            let first = block[index]
            if first & 0xE0 == 0x20 {
                // 001xxxxx: dynamic table size update (§6.3), only before the first field.
                guard sizeUpdatesAllowed else { throw .tableSizeUpdateNotAtBlockStart }
                let newCapacity = try HPACKInteger.decode(block, at: &index, prefixBits: 5)
                guard newCapacity <= tableSizeLimit else {
                    throw .tableSizeUpdateAboveLimit(requested: newCapacity, limit: tableSizeLimit)
                }
                dynamicTable.setCapacity(newCapacity)
                tableSizeUpdateRequired = false
                continue
            }
            if sizeUpdatesAllowed {
                sizeUpdatesAllowed = false
                guard !tableSizeUpdateRequired else { throw .tableSizeUpdateMissing(limit: tableSizeLimit) }
            }

            let name: String
            let value: String
            let fieldSize: Int
            if first & 0x80 != 0 {
                // 1xxxxxxx: indexed header field (§6.1).
                let entryIndex = try HPACKInteger.decode(block, at: &index, prefixBits: 7)
                let entry = try tableEntry(at: entryIndex)
                (name, value, fieldSize) = (entry.name, entry.value, entry.size)
            } else {
                // 01xxxxxx: literal with incremental indexing (§6.2.1), 6-bit name index;
                // 0001xxxx never indexed (§6.2.3) and 0000xxxx without indexing (§6.2.2), 4-bit name index.
                let addsToTable = first & 0x40 != 0
                // Strings of a field we will not return and not add to the table are validated and measured only.
                let keepsStrings = addsToTable || !listTooLarge
                let nameIndex = try HPACKInteger.decode(block, at: &index, prefixBits: addsToTable ? 6 : 4)
                let nameOctetCount: Int
                if nameIndex == 0 {
                    (name, nameOctetCount) = try readString(block, at: &index, keepingIt: keepsStrings)
                } else {
                    let entry = try tableEntry(at: nameIndex)
                    (name, nameOctetCount) = (entry.name, entry.nameOctetCount)
                }
                let valueOctetCount: Int
                (value, valueOctetCount) = try readString(block, at: &index, keepingIt: keepsStrings)
                fieldSize = nameOctetCount + valueOctetCount + 32
                if addsToTable {
                    dynamicTable.insert(.init(name: name, value: value, nameOctetCount: nameOctetCount,
                                              size: fieldSize))
                }
            }

            if !listTooLarge {
                listSize += fieldSize
                if listSize > maxHeaderListSize {
                    // Keep decoding (the table must follow the peer's) but keep nothing: memory stays bounded.
                    listTooLarge = true
                    fields = []
                } else {
                    fields.append(HeaderField(name, value))
                }
            }
        }
        if listTooLarge { throw .headerListTooLarge(limit: maxHeaderListSize) }
        return fields
    }

    /// The static or dynamic table entry at HPACK index `index` (§2.3.3): 1...61 static, 62... dynamic, newest first.
    private func tableEntry(at index: Int) throws(HPACKError) -> DynamicTable.Entry {
        if index >= 1 && index <= StaticTable.count {
            let entry = StaticTable.entries[index - 1]
            let nameOctetCount = entry.name.utf8.count
            return .init(name: entry.name, value: entry.value, nameOctetCount: nameOctetCount,
                         size: nameOctetCount + entry.value.utf8.count + 32)
        }
        let position = index - StaticTable.count - 1
        guard position >= 0 && position < dynamicTable.count else { throw .invalidIndex(index) }
        return dynamicTable[position]
    }

    /// Reads a string literal (§5.2) at `index` and moves past it. Returns the string (empty if `keepingIt` is false)
    /// and its length in octets as decoded (before any UTF-8 repair).
    private func readString(_ block: ArraySlice<UInt8>, at index: inout Int,
                            keepingIt: Bool) throws(HPACKError) -> (String, Int) {
        guard index < block.endIndex else { throw .truncatedInteger }
        let isHuffman = block[index] & 0x80 != 0
        let length = try HPACKInteger.decode(block, at: &index, prefixBits: 7)
        let remaining = block.endIndex - index
        guard length <= remaining else { throw .stringLongerThanBlock(length: length, remaining: remaining) }
        let bytes = block[index..<(index + length)]
        index += length
        if isHuffman {
            if keepingIt { return try Huffman.decodeString(bytes) }
            return ("", try Huffman.decodedCount(bytes))
        }
        return (keepingIt ? String(decoding: bytes, as: UTF8.self) : "", length)
    }

    private static func clampedTableSize(_ size: Int) -> Int {
        Swift.min(Swift.max(size, 0), HPACKInteger.maxValue)
    }
}
