import Protobuf
import Testing

/// Reads `bytes` with a fresh reader.
func withReader<R>(_ bytes: [UInt8], maximumDepth: Int = Protobuf.defaultMaximumDepth,
                   _ body: (inout ProtobufReader) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { buffer in
        var reader = ProtobufReader(buffer, maximumDepth: maximumDepth)
        return try body(&reader)
    }
}

@Suite struct ProtobufReaderTests {
    @Test func varintsOfEveryLength() throws {
        #expect(try withReader([0x00]) { try $0.readVarint() } == 0)
        #expect(try withReader([0x7f]) { try $0.readVarint() } == 127)
        #expect(try withReader([0xac, 0x02]) { try $0.readVarint() } == 300)
        #expect(try withReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) { try $0.readVarint() } == UInt64.max)
        // A redundant (non-minimal) encoding of 1 is still 1.
        #expect(try withReader([0x81, 0x80, 0x00]) { try $0.readVarint() } == 1)
    }

    @Test func overlongAndOverflowingVarintsAreMalformed() {
        #expect(throws: ProtobufError.malformedVarint) {
            try withReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]) { try $0.readVarint() }
        }
        #expect(throws: ProtobufError.malformedVarint) {
            try withReader([UInt8](repeating: 0x80, count: 10) + [0x00]) { try $0.readVarint() }
        }
    }

    @Test func truncatedValuesAreTruncated() {
        #expect(throws: ProtobufError.truncated) { try withReader([0x80]) { try $0.readVarint() } }
        #expect(throws: ProtobufError.truncated) { try withReader([]) { try $0.readVarint() } }
        #expect(throws: ProtobufError.truncated) { try withReader([1, 2, 3]) { try $0.readFixed32() } }
        #expect(throws: ProtobufError.truncated) { try withReader([1, 2, 3, 4, 5, 6, 7]) { try $0.readFixed64() } }
    }

    @Test func fixedValuesAreLittleEndian() throws {
        #expect(try withReader([0x78, 0x56, 0x34, 0x12]) { try $0.readFixed32() } == 0x1234_5678)
        #expect(try withReader([8, 7, 6, 5, 4, 3, 2, 1]) { try $0.readFixed64() } == 0x0102_0304_0506_0708)
    }

    @Test func lengthPastTheEndIsRefusedBeforeAnyCopy() {
        // A 2^63-byte length prefix on a 3-byte input.
        #expect(throws: ProtobufError.lengthOverflow(length: 1 << 62, remaining: 0)) {
            try withReader([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]) { reader in
                let tag = try #require(try reader.nextTag())
                return try reader.readBytes(tag)
            }
        }
        #expect(throws: ProtobufError.lengthOverflow(length: 5, remaining: 2)) {
            try withReader([0x0a, 0x05, 0x61, 0x62]) { reader in
                try reader.readBytes(try #require(try reader.nextTag()))
            }
        }
    }

    @Test func tagsNameValidFieldsAndWireTypes() throws {
        let tag = try withReader([0x82, 0x04]) { try $0.nextTag() }
        #expect(tag == ProtobufReader.Tag(field: 64, wireType: .lengthDelimited))
        #expect(throws: ProtobufError.invalidFieldNumber(0)) { try withReader([0x00]) { try $0.nextTag() } }
        #expect(throws: ProtobufError.invalidWireType(6)) { try withReader([0x0e]) { try $0.nextTag() } }
        #expect(throws: ProtobufError.invalidWireType(7)) { try withReader([0x0f]) { try $0.nextTag() } }
        // Field 2^29 is one past the largest.
        #expect(throws: ProtobufError.invalidFieldNumber(1 << 29)) {
            try withReader([0x80, 0x80, 0x80, 0x80, 0x10]) { try $0.nextTag() }
        }
        #expect(try withReader([]) { try $0.nextTag() } == nil)
    }

    @Test func wrongWireTypeForAKnownField() {
        #expect(throws: ProtobufError.wrongWireType(field: 1, expected: .varint, got: .lengthDelimited)) {
            try withReader([0x0a, 0x00]) { reader in try reader.readInt64(try #require(try reader.nextTag())) }
        }
        #expect(throws: ProtobufError.wrongWireType(field: 1, expected: .lengthDelimited, got: .varint)) {
            try withReader([0x08, 0x00]) { reader in try reader.readBytes(try #require(try reader.nextTag())) }
        }
    }

    /// Skips every field of `bytes`, returning how many were seen.
    func skipAll(_ bytes: [UInt8], maximumDepth: Int = Protobuf.defaultMaximumDepth) throws -> Int {
        try withReader(bytes, maximumDepth: maximumDepth) { reader in
            var count = 0
            while let tag = try reader.nextTag() {
                try reader.skip(tag)
                count += 1
            }
            return count
        }
    }

    @Test func skipsEveryWireType() throws {
        let fields: [UInt8] = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 2, 3, 4, 5, 6, 7, 8, // 2: fixed64
            0x1a, 0x02, 0x68, 0x69, // 3: "hi"
            0x23, 0x08, 0x01, 0x13, 0x14, 0x24, // 4: group { 1: 1, 2: group {} }
            0x2d, 1, 2, 3, 4, // 5: fixed32
        ]
        #expect(try skipAll(fields) == 5)
    }

    @Test func groupsMustBeMatchedAndBounded() throws {
        #expect(throws: ProtobufError.unmatchedGroup(field: 1)) { try skipAll([0x0c]) }
        #expect(throws: ProtobufError.unmatchedGroup(field: 2)) { try skipAll([0x0b, 0x14]) }
        #expect(throws: ProtobufError.truncated) { try skipAll([0x0b, 0x08, 0x01]) }
        let deep = [UInt8](repeating: 0x0b, count: 20) + [UInt8](repeating: 0x0c, count: 20)
        #expect(throws: ProtobufError.nestingTooDeep(limit: 10)) { try skipAll(deep, maximumDepth: 10) }
        #expect(try skipAll(deep, maximumDepth: 20) == 1)
    }

    @Test func nestedMessagesAreBounded() throws {
        // Each level: field 1, length-delimited, holding the next level.
        func nested(_ levels: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for _ in 0..<levels { bytes = [0x0a, UInt8(bytes.count)] + bytes }
            return bytes
        }
        func descend(_ reader: inout ProtobufReader) throws -> Int {
            guard let tag = try reader.nextTag() else { return 0 }
            var inner = try reader.readMessage(tag)
            return 1 + (try descend(&inner))
        }
        #expect(try withReader(nested(5), maximumDepth: 5) { reader in try descend(&reader) } == 5)
        #expect(throws: ProtobufError.nestingTooDeep(limit: 4)) {
            try withReader(nested(5), maximumDepth: 4) { reader in try descend(&reader) }
        }
    }

    @Test func repeatedVarintsPackedAndUnpacked() throws {
        func collect(_ bytes: [UInt8]) throws -> [UInt64] {
            try withReader(bytes) { reader in
                var values: [UInt64] = []
                while let tag = try reader.nextTag() { try reader.readRepeatedVarint(tag) { values.append($0) } }
                return values
            }
        }
        #expect(try collect([0x28, 0x00, 0x28, 0x01]) == [0, 1])
        #expect(throws: ProtobufError.truncated) { try collect([0x2a, 0x03, 0x00, 0x01, 0xac]) }
        #expect(try collect([0x2a, 0x04, 0x00, 0x01, 0xac, 0x02, 0x28, 0x07]) == [0, 1, 300, 7])
    }

    @Test func stringsMustBeUTF8() throws {
        #expect(try withReader([0x0a, 0x02, 0xc3, 0xbc]) { reader in
            try reader.readString(try #require(try reader.nextTag()))
        } == "ü")
        #expect(throws: ProtobufError.invalidUTF8(field: 1)) {
            try withReader([0x0a, 0x01, 0xff]) { reader in try reader.readString(try #require(try reader.nextTag())) }
        }
    }

    @Test func errorsHaveClearMessages() {
        #expect(ProtobufError.lengthOverflow(length: 9, remaining: 2).description == "length 9 exceeds the 2 bytes remaining")
        #expect(ProtobufError.wrongWireType(field: 3, expected: .varint, got: .fixed32).description
            == "field 3 has wire type fixed32, expected varint")
    }
}
