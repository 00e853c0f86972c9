import Testing
@testable import HPACK

@Suite struct HPACKEncoderTests {
    static func encode(_ headers: [HeaderField]) -> [UInt8] {
        var encoder = HPACKEncoder()
        var output: [UInt8] = []
        encoder.encode(headers, into: &output)
        return output
    }

    @Test func fullStaticMatchesAreOneIndexByte() {
        #expect(Self.encode(fields([":status": "200"])) == [0x88])
        #expect(Self.encode(fields([":status": "500", ":method": "POST", ":scheme": "https", ":path": "/"]))
            == [0x8E, 0x83, 0x87, 0x84])
        #expect(Self.encode(fields(["accept-encoding": "gzip, deflate"])) == [0x90])
    }

    @Test func staticNamesAreIndexedAndValuesAreLiteralsWithoutIndexing() throws {
        let encoded = Self.encode(fields(["content-type": "application/grpc"]))
        // content-type is static index 31: 4-bit prefix 15, then 16.
        #expect(Array(encoded.prefix(2)) == [0x0F, 0x10])
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(encoded) == fields(["content-type": "application/grpc"]))
        // ":status: 418" names index 8 (below 15: one byte).
        #expect(Self.encode(fields([":status": "418"])).first == 0x08)
    }

    @Test func newNamesAreLiteralsWithoutIndexing() throws {
        let headers = fields(["grpc-status": "0", "grpc-message": "", "x-custom": "\u{1}\u{2}"])
        let encoded = Self.encode(headers)
        #expect(encoded.first == 0x00)
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(encoded) == headers)
        #expect(decoder.dynamicTableSize == 0, "the encoder never adds to the peer's table")
    }

    @Test func huffmanOnlyWhenShorter() {
        var output: [UInt8] = []
        HPACKEncoder.appendString("aaaa", to: &output)  // 4 × 5 bits: 3 bytes Huffman-coded.
        #expect(output == [0x83, 0x18, 0xC6, 0x3F])
        output = []
        HPACKEncoder.appendString("\u{1}", to: &output)  // 23 bits Huffman: raw is shorter.
        #expect(output == [0x01, 0x01])
        output = []
        HPACKEncoder.appendString("", to: &output)
        #expect(output == [0x00])
        output = []
        HPACKEncoder.appendString("0", to: &output)  // 5 bits: 1 byte either way, so raw (cheaper to decode).
        #expect(output == [0x01, 0x30])
    }

    @Test func emptyListIsAnEmptyBlock() {
        #expect(Self.encode([]).isEmpty)
    }

    @Test func loweredPeerTableSizeIsSignalledOnceAtTheNextBlock() throws {
        var encoder = HPACKEncoder()
        var output: [UInt8] = []
        encoder.setPeerMaxTableSize(8192)  // Larger: nothing owed.
        encoder.encode(fields([":status": "200"]), into: &output)
        #expect(output == [0x88])

        encoder.setPeerMaxTableSize(1000)
        encoder.setPeerMaxTableSize(0)
        encoder.setPeerMaxTableSize(500)  // Going back up after 0 needs nothing more: 0 is what we send.
        output = []
        encoder.encode(fields([":status": "200"]), into: &output)
        #expect(output == [0x20, 0x88])
        output = []
        encoder.encode(fields([":status": "200"]), into: &output)
        #expect(output == [0x88])

        var decoder = HPACKDecoder(maxTableSize: 4096)
        _ = try decoder.decode([0x20, 0x88])
        #expect(decoder.dynamicTableCapacity == 0)
    }

    @Test func outputIsAppendedNotReplaced() {
        var encoder = HPACKEncoder()
        var output: [UInt8] = [0xAA]
        encoder.encode(fields([":status": "200"]), into: &output)
        #expect(output == [0xAA, 0x88])
    }
}

@Suite struct HPACKEncodedBlockTests {
    @Test func aBlockEncodedOnceIsWhatTheEncoderWrites() throws {
        let fields = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc"), HeaderField("grpc-status", "0")]
        let block = HPACKEncodedBlock(fields)
        var encoder = HPACKEncoder()
        var direct: [UInt8] = []
        encoder.encode(fields, into: &direct)
        var appended: [UInt8] = []
        encoder.append(block, into: &appended)
        #expect(appended == direct)
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(appended[...]) == fields)
    }

    @Test func anOwedTableSizeUpdateComesFirst() throws {
        let block = HPACKEncodedBlock([HeaderField("grpc-status", "0")])
        var encoder = HPACKEncoder()
        encoder.setPeerMaxTableSize(0)
        var output: [UInt8] = []
        encoder.append(block, into: &output)
        #expect(output.first == 0x20)
        #expect(Array(output.dropFirst()) == block.bytes)
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(output[...]) == [HeaderField("grpc-status", "0")])
        output.removeAll()
        encoder.append(block, into: &output)
        #expect(output == block.bytes)
    }
}
