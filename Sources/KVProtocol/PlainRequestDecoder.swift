#if canImport(Glibc)
import Glibc
#endif
import KVStore

/// The two commands that carry almost all traffic, `[@tag ]PUT <key> <value>` and `[@tag ]GET <key>`,
/// decoded without building tokens — when the line is plain: printable ASCII without quotes or
/// backslashes, tokens separated by single spaces, no options. Anything else returns nil and goes
/// through the general decoder, so the two always agree (a randomized test holds them to that).
///
/// The line is checked eight bytes at a time and its spaces are found with `memchr`, so a 256-byte
/// value costs a few dozen instructions rather than a branch per byte.
enum PlainRequestDecoder {
    static func decode(_ line: [UInt8]) -> RequestLine? {
        line.withUnsafeBufferPointer { bytes -> RequestLine? in
            guard let base = bytes.baseAddress, bytes.count >= 5, isPlain(bytes) else { return nil }
            let count = bytes.count
            // Field boundaries: up to four fields (tag, verb, key, value) split by single spaces.
            var bounds: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)  // start of each field, then count + 1
            var fields = 1
            var from = 0
            while true {
                guard let space = memchr(base + from, 0x20, count - from) else { break }
                let at = base.distance(to: space.assumingMemoryBound(to: UInt8.self))
                guard at > from, fields < 4 else { return nil }  // an empty field (a run of spaces), or too many
                switch fields {
                case 1: bounds.1 = at + 1
                case 2: bounds.2 = at + 1
                default: bounds.3 = at + 1
                }
                fields += 1
                from = at + 1
            }
            guard from < count else { return nil }  // a trailing space
            switch fields {
            case 2: bounds.2 = count + 1
            case 3: bounds.3 = count + 1
            default: bounds.4 = count + 1
            }
            func start(_ index: Int) -> Int {
                switch index {
                case 0: bounds.0
                case 1: bounds.1
                case 2: bounds.2
                case 3: bounds.3
                default: bounds.4
                }
            }
            func field(_ index: Int) -> (Int, Int) { (start(index), start(index + 1) - 1) }

            var tag: RequestTag?
            var verbIndex = 0
            if bytes[0] == UInt8(ascii: "@") {
                let (start, end) = field(0)
                guard fields >= 2, let valid = RequestTag(bytes: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end])) else {
                    return nil
                }
                tag = valid
                verbIndex = 1
            }
            let argumentCount = fields - verbIndex - 1
            // Options start with `--`; leave them (and any argument that looks like one) to the general path.
            for index in (verbIndex + 1)..<fields {
                let (start, end) = field(index)
                if end - start >= 2 && bytes[start] == UInt8(ascii: "-") && bytes[start + 1] == UInt8(ascii: "-") { return nil }
            }
            func argument(_ index: Int) -> [UInt8] {
                let (start, end) = field(verbIndex + 1 + index)
                return Array(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            }
            let verb = field(verbIndex)
            if argumentCount == 2 && isVerb(bytes, verb, "PUT") {
                return RequestLine(tag: tag, .put(PutRequest(key: argument(0), value: argument(1))))
            }
            if argumentCount == 1 && isVerb(bytes, verb, "GET") {
                return RequestLine(tag: tag, .range(RangeRequest(key: argument(0))))
            }
            return nil
        }
    }

    /// Whether every byte is printable ASCII or a space, and none is `"` or `\`.
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// A high bit set in each byte of `word` that is zero.
        @inline(__always) func zeroBytes(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }
        var index = 0
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // Bytes below 0x20, above 0x7e (0x7f and every byte with its high bit), `"` and `\`.
            let below = (word &- ones &* 0x20) & ~word & highs
            let above = ((word &+ ones &* (127 - 0x7e)) | word) & highs
            if below | above | zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5c)) != 0 { return false }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte > 0x7e || byte == 0x22 || byte == 0x5c { return false }
            index += 1
        }
        return true
    }

    /// Whether the field spells a three-letter verb, in any case.
    private static func isVerb(_ bytes: UnsafeBufferPointer<UInt8>, _ range: (Int, Int), _ verb: StaticString) -> Bool {
        guard range.1 - range.0 == 3 else { return false }
        let expected = verb.utf8Start
        for offset in 0..<3 where bytes[range.0 + offset] & 0xdf != expected[offset] { return false }
        return true
    }
}
