/// Writes JSON as etcd's gateway does (Go's `encoding/json` under golang/protobuf's `jsonpb`): no
/// spaces, strings escaped as Go escapes them — `"`, `\`, `\n`, `\r`, `\t`, other control bytes as
/// `\u00XX`, and `<`, `>`, `&`, U+2028, U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`;
/// invalid UTF-8 as `\ufffd`.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func byte(_ byte: UInt8) { bytes.append(byte) }

    /// `"name":`
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string of UTF-8 bytes (invalid sequences written as `\ufffd`, as Go does).
    public mutating func string(utf8: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                default: bytes.append(byte)
                }
                index += 1
                continue
            }
            let length = JSONWriter.validSequenceLength(utf8, at: index)
            if length == 0 {
                bytes.append(contentsOf: Array("\\ufffd".utf8))
                index += 1
                continue
            }
            // U+2028 and U+2029 (E2 80 A8/A9) are escaped so the output is valid JavaScript.
            if length == 3, byte == 0xE2, utf8[index + 1] == 0x80, utf8[index + 2] & 0xFE == 0xA8 {
                bytes.append(contentsOf: Array((utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
            } else {
                bytes.append(contentsOf: utf8[index..<(index + length)])
            }
            index += length
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An int64 or uint64 as jsonpb writes it: a quoted decimal.
    public mutating func quoted<T: BinaryInteger>(_ value: T) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(value).utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func number<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func base64(_ data: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(data, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The length of the valid UTF-8 sequence starting at `index` (a lead byte ≥ 0x80), 0 if invalid.
    private static func validSequenceLength(_ utf8: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = utf8[index]
        let left = utf8.count - index
        func continuation(_ offset: Int) -> Bool { offset < left && utf8[index + offset] & 0xC0 == 0x80 }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0...0xEF:
            guard continuation(1), continuation(2) else { return 0 }
            let second = utf8[index + 1]
            if lead == 0xE0 && second < 0xA0 { return 0 }
            if lead == 0xED && second > 0x9F { return 0 }
            return 3
        case 0xF0...0xF4:
            guard continuation(1), continuation(2), continuation(3) else { return 0 }
            let second = utf8[index + 1]
            if lead == 0xF0 && second < 0x90 { return 0 }
            if lead == 0xF4 && second > 0x8F { return 0 }
            return 4
        default:
            return 0
        }
    }
}
