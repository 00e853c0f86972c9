import Protobuf
import Testing

@Suite struct ProtobufWriterTests {
    @Test func varintSizesMatchTheEncoding() {
        var values: [UInt64] = [0, 1, 127, 128, 16_383, 16_384, UInt64.max, UInt64(bitPattern: -1)]
        for shift in 0..<64 { values += [1 << UInt64(shift), (1 << UInt64(shift)) - 1] }
        for value in values {
            let bytes = Protobuf.encode(size: Protobuf.varintSize(value)) { $0.writeVarint(value) }
            let decoded = try? withReader(bytes) { try $0.readVarint() }
            #expect(decoded == value)
        }
        #expect(Protobuf.varintSize(Int64(-1)) == 10)
    }

    @Test func proto3DefaultsAreNotWritten() {
        let bytes = Protobuf.encode(size: 0) { writer in
            writer.writeVarintField(1, UInt64(0))
            writer.writeVarintField(2, Int64(0))
            writer.writeBoolField(3, false)
            writer.writeBytesField(4, [UInt8]())
            writer.writeStringField(5, "")
            writer.writeFixed32Field(6, 0)
            writer.writeFixed64Field(7, 0)
        }
        #expect(bytes.isEmpty)
        #expect(Protobuf.varintFieldSize(1, Int64(0)) == 0)
        #expect(Protobuf.boolFieldSize(1, false) == 0)
        #expect(Protobuf.bytesFieldSize(1, count: 0) == 0)
    }

    @Test func elementsAreWrittenEvenWhenEmpty() {
        let bytes = Protobuf.encode(size: Protobuf.lengthDelimitedSize(3, count: 0) * 2) { writer in
            writer.writeBytesElement(3, [UInt8]())
            writer.writeStringElement(3, "")
        }
        #expect(bytes == [0x1a, 0x00, 0x1a, 0x00])
    }

    @Test func fieldsAndTags() {
        let size = Protobuf.varintFieldSize(1, Int64(-1)) + Protobuf.boolFieldSize(2, true)
            + Protobuf.fixed32FieldSize(3, 1) + Protobuf.fixed64FieldSize(4, 2) + Protobuf.bytesFieldSize(64, count: 1)
        let bytes = Protobuf.encode(size: size) { writer in
            writer.writeVarintField(1, Int64(-1))
            writer.writeBoolField(2, true)
            writer.writeFixed32Field(3, 1)
            writer.writeFixed64Field(4, 2)
            writer.writeBytesField(64, [0x41])
        }
        #expect(bytes == [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x01, 0x10, 0x01, 0x1d, 1, 0, 0, 0,
                                                                          0x21, 2, 0, 0, 0, 0, 0, 0, 0, 0x82, 0x04, 0x01, 0x41])
    }

    @Test func appendWritesAfterExistingBytes() {
        var output: [UInt8] = [0, 0, 0, 0, 2]
        Protobuf.append(size: 2, to: &output) { $0.writeVarintField(1, UInt64(5)) }
        #expect(output == [0, 0, 0, 0, 2, 0x08, 0x05])
    }
}
