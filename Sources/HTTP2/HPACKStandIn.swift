// TEMPORARY: a literal-only stand-in for the HPACK target's decoder and encoder (branch `hpack`, not
// merged yet), with the same API, so that HTTP2 compiles and its tests run. It handles only literal
// fields with new names and no Huffman coding (what the tests' encoder sends). Deleted when HPACK merges.
import HPACK

enum HPACKError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed
    case headerListTooLarge(limit: Int)

    var isConnectionError: Bool {
        if case .headerListTooLarge = self { return false }
        return true
    }

    var description: String { self == .malformed ? "HPACK: malformed" : "HPACK: header list too large" }
}

struct HPACKDecoder: Sendable {
    var maxTableSize: Int
    var maxHeaderListSize: Int

    init(maxTableSize: Int = 4096, maxHeaderListSize: Int = 16 * 1024) {
        self.maxTableSize = maxTableSize
        self.maxHeaderListSize = maxHeaderListSize
    }

    mutating func decode(_ block: ArraySlice<UInt8>) throws(HPACKError) -> [HeaderField] {
        var index = block.startIndex
        var fields: [HeaderField] = []
        var size = 0
        func integer(prefix: Int) throws(HPACKError) -> Int {
            guard index < block.endIndex else { throw .malformed }
            let mask = (1 << prefix) - 1
            var value = Int(block[index]) & mask
            index += 1
            if value < mask { return value }
            var shift = 0
            while true {
                guard index < block.endIndex, shift < 28 else { throw .malformed }
                let byte = block[index]
                index += 1
                value += Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { return value }
            }
        }
        func string() throws(HPACKError) -> String {
            guard index < block.endIndex, block[index] & 0x80 == 0 else { throw .malformed }
            let length = try integer(prefix: 7)
            guard length <= block.endIndex - index else { throw .malformed }
            defer { index += length }
            return String(decoding: block[index..<(index + length)], as: UTF8.self)
        }
        while index < block.endIndex {
            let first = block[index]
            guard first == 0x00 || first == 0x10 else { throw .malformed }
            index += 1
            let field = HeaderField(try string(), try string())
            size += field.size
            if size <= maxHeaderListSize { fields.append(field) }
        }
        if size > maxHeaderListSize { throw .headerListTooLarge(limit: maxHeaderListSize) }
        return fields
    }
}

struct HPACKEncoder: Sendable {
    init() {}

    mutating func setPeerMaxTableSize(_ size: Int) {}

    mutating func encode(_ headers: [HeaderField], into output: inout [UInt8]) {
        func integer(_ value: Int, prefix: Int) {
            let mask = (1 << prefix) - 1
            if value < mask { output.append(UInt8(value)); return }
            output.append(UInt8(mask))
            var rest = value - mask
            while rest >= 0x80 { output.append(UInt8(rest & 0x7f) | 0x80); rest >>= 7 }
            output.append(UInt8(rest))
        }
        for field in headers {
            output.append(0x00)
            integer(field.name.utf8.count, prefix: 7)
            output.append(contentsOf: field.name.utf8)
            integer(field.value.utf8.count, prefix: 7)
            output.append(contentsOf: field.value.utf8)
        }
    }
}
