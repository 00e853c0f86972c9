import Testing
@testable import HPACK

@Suite struct RoundTripTests {
    @Test func randomListsThroughHPACKEncoderAndDecoder() throws {
        var random = RandomHeaders(seed: 0xE4C0_DE01)
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder(maxTableSize: 0, maxHeaderListSize: .max)  // The encoder needs no table.
        var recent: [HeaderField] = []
        for block in 0..<2000 {
            let headers = random.list(recent: &recent)
            var encoded: [UInt8] = []
            encoder.encode(headers, into: &encoded)
            let decoded = try decoder.decode(encoded)
            #expect(decoded == headers, "block \(block): \(hexString(encoded))")
            if decoded != headers { break }
        }
    }

    /// Many blocks on one connection from an encoder that indexes, references and resizes like C-core and grpc-go:
    /// after every block the decoder's table must equal the encoder's model entry for entry.
    @Test(arguments: [4096, 256, 65536])
    func indexingEncoderKeepsTheTablesInStep(limit: Int) throws {
        var random = RandomHeaders(seed: 0x1DE7_0000 + UInt64(limit))
        var encoder = IndexingTestEncoder(seed: UInt64(limit), limit: limit)
        var decoder = HPACKDecoder(maxTableSize: limit, maxHeaderListSize: .max)
        var recent: [HeaderField] = []
        for block in 0..<1500 {
            let headers = random.list(maxCount: 20, recent: &recent)
            let encoded = encoder.encode(headers)
            let decoded = try decoder.decode(encoded)
            #expect(decoded == headers, "block \(block)")
            #expect(decoder.tableFields == encoder.table, "block \(block): table")
            #expect(decoder.dynamicTableSize == encoder.tableSize, "block \(block): table size")
            #expect(decoder.dynamicTableCapacity == encoder.capacity, "block \(block): capacity")
            if decoded != headers || decoder.tableFields != encoder.table { break }
        }
    }

    /// A block the list limit rejects must still update the table, so the indexing encoder's next blocks decode.
    @Test func rejectedListsLeaveTheTableInStep() throws {
        var random = RandomHeaders(seed: 0x11_5712E)
        var encoder = IndexingTestEncoder(seed: 7)
        var decoder = HPACKDecoder(maxHeaderListSize: 600)
        var recent: [HeaderField] = []
        var (accepted, rejected) = (0, 0)
        for block in 0..<1500 {
            let headers = random.list(maxCount: 14, recent: &recent)
            let encoded = encoder.encode(headers)
            let listSize = headers.reduce(0) { $0 + $1.size }
            if listSize > 600 {
                #expect(throws: HPACKError.headerListTooLarge(limit: 600)) { try decoder.decode(encoded) }
                rejected += 1
            } else {
                #expect(try decoder.decode(encoded) == headers, "block \(block)")
                accepted += 1
            }
            #expect(decoder.tableFields == encoder.table, "block \(block): table")
            if decoder.tableFields != encoder.table { break }
        }
        #expect(accepted > 100 && rejected > 100, "accepted \(accepted), rejected \(rejected)")
    }
}
