/// Standard base64 (RFC 4648 §4, with padding): how etcd's gateway writes and reads `bytes` fields
/// (Go's `base64.StdEncoding`).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Appends the encoding of `bytes` to `output`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(alphabet[Int(chunk >> 6 & 63)])
            output.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let left = bytes.count - index
        if left > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (left == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(left == 2 ? alphabet[Int(chunk >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        bytes.withUnsafeBytes { encode($0, into: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `text` as Go's `base64.StdEncoding` does: padding required, `\r` and `\n` ignored.
    /// - Throws: Go's `illegal base64 data at input byte N` (N counts the input's bytes).
    public static func decode(_ text: String) throws(JSONDecodingError) -> [UInt8] {
        var text = text
        return try text.withUTF8 { utf8 in Result { () throws(JSONDecodingError) in try decode(utf8) } }.get()
    }

    private static func decode(_ utf8: UnsafeBufferPointer<UInt8>) throws(JSONDecodingError) -> [UInt8] {
        let table = values
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 4 * 3)
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            if byte == 0x0A || byte == 0x0D { continue }
            if byte == UInt8(ascii: "=") {
                // Padding may only complete a quad that holds two or three symbols.
                guard filled + padding >= 2 else { throw illegal(at: index) }
                padding += 1
                if filled + padding > 4 { throw illegal(at: index) }
                continue
            }
            if padding > 0 { throw illegal(at: index) }
            let value = table[Int(byte)]
            guard value != 0xFF else { throw illegal(at: index) }
            quad = quad << 6 | UInt32(value)
            filled += 1
            if filled == 4 {
                output.append(UInt8(quad >> 16))
                output.append(UInt8(quad >> 8 & 0xFF))
                output.append(UInt8(quad & 0xFF))
                quad = 0
                filled = 0
            }
        }
        if padding > 0 {
            guard filled + padding == 4 else { throw illegal(at: utf8.count) }
            if filled == 2 {
                output.append(UInt8(quad >> 4 & 0xFF))
            } else {
                output.append(UInt8(quad >> 10 & 0xFF))
                output.append(UInt8(quad >> 2 & 0xFF))
            }
        } else if filled != 0 {
            throw illegal(at: utf8.count - (filled == 1 ? 1 : 0))
        }
        return output
    }

    private static func illegal(at index: Int) -> JSONDecodingError {
        JSONDecodingError("illegal base64 data at input byte \(index)")
    }
}
