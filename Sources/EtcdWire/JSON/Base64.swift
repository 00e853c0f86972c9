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
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count / 4 * 3)
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        var paddingStart = 0
        for (index, byte) in text.utf8.enumerated() {
            if byte == 0x0A || byte == 0x0D { continue }
            if byte == UInt8(ascii: "=") {
                // Padding may only complete a quad that holds two or three symbols.
                guard filled + padding >= 2 else { throw illegal(at: index) }
                if padding == 0 { paddingStart = index }
                padding += 1
                if filled + padding > 4 { throw illegal(at: index) }
                continue
            }
            if padding > 0 { throw illegal(at: index) }
            let value = values[Int(byte)]
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
            guard filled + padding == 4 else { throw illegal(at: text.utf8.count) }
            if filled == 2 {
                output.append(UInt8(quad >> 4 & 0xFF))
            } else {
                output.append(UInt8(quad >> 10 & 0xFF))
                output.append(UInt8(quad >> 2 & 0xFF))
            }
            _ = paddingStart
        } else if filled != 0 {
            throw illegal(at: text.utf8.count - (filled == 1 ? 1 : 0))
        }
        return output
    }

    private static func illegal(at index: Int) -> JSONDecodingError {
        JSONDecodingError("illegal base64 data at input byte \(index)")
    }
}
