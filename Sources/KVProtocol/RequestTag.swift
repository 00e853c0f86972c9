/// A request tag: the optional `@<tag>` first token of a request, echoed at the start of every reply line
/// to that request. 1–32 bytes of `[A-Za-z0-9_.-]` (stored without the `@`).
public struct RequestTag: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 32

    public let bytes: [UInt8]

    /// A tag from its text without the `@`, or nil if it is not a valid tag.
    public init?(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    public init?(bytes: some Collection<UInt8>) {
        guard RequestTag.isValid(bytes) else { return nil }
        self.bytes = Array(bytes)
    }

    public var description: String { "@" + String(decoding: bytes, as: UTF8.self) }

    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        return bytes.allSatisfy(isTagByte)
    }

    static func isTagByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// The tag at the very start of a raw line (`@tag` followed by a space or the end), if any; used to
    /// answer a line that cannot be tokenized (or is too long) with the right tag.
    static func leading(in bytes: some Collection<UInt8>) -> RequestTag? {
        guard bytes.first == UInt8(ascii: "@") else { return nil }
        var tag: [UInt8] = []
        for byte in bytes.dropFirst() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") { break }
            tag.append(byte)
            if tag.count > maximumLength { return nil }
        }
        return RequestTag(bytes: tag)
    }
}

extension ByteBuffer {
    /// Writes `@tag ` (with the trailing space) when `tag` is set.
    @inlinable
    public mutating func writeTag(_ tag: RequestTag?) {
        guard let tag else { return }
        writeByte(UInt8(ascii: "@"))
        writeBytes(tag.bytes)
        writeByte(UInt8(ascii: " "))
    }
}
