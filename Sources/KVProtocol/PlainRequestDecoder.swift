import KVStore

/// The two commands that carry almost all traffic, `[@tag ]PUT <key> <value>` and `[@tag ]GET <key>`,
/// decoded in one pass over the line without building tokens — when the line is plain: printable ASCII
/// without quotes or backslashes, tokens separated by single spaces, no options. Anything else returns
/// nil and goes through the general decoder, so the two always agree (a randomized test holds them to
/// that).
enum PlainRequestDecoder {
    static func decode(_ line: [UInt8]) -> RequestLine? {
        line.withUnsafeBufferPointer { bytes -> RequestLine? in
            // Up to four fields: tag, verb, key, value.
            var starts = (0, 0, 0, 0)
            var ends = (0, 0, 0, 0)
            var fields = 0
            var start = 0
            var index = 0
            let count = bytes.count
            while index <= count {
                let byte = index < count ? bytes[index] : UInt8(ascii: " ")
                if byte == UInt8(ascii: " ") {
                    guard index > start, fields < 4 else { return nil }  // a run of spaces, or too many fields
                    switch fields {
                    case 0: starts.0 = start; ends.0 = index
                    case 1: starts.1 = start; ends.1 = index
                    case 2: starts.2 = start; ends.2 = index
                    default: starts.3 = start; ends.3 = index
                    }
                    fields += 1
                    start = index + 1
                } else if byte < 0x21 || byte > 0x7e || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    return nil
                }
                index += 1
            }
            var tag: RequestTag?
            var verb = (starts.0, ends.0)
            var arguments: [(Int, Int)] = []
            arguments.reserveCapacity(2)
            if bytes[starts.0] == UInt8(ascii: "@") {
                guard let valid = RequestTag(bytes: UnsafeBufferPointer(rebasing: bytes[(starts.0 + 1)..<ends.0])),
                      fields >= 2 else { return nil }
                tag = valid
                verb = (starts.1, ends.1)
                if fields > 2 { arguments.append((starts.2, ends.2)) }
                if fields > 3 { arguments.append((starts.3, ends.3)) }
            } else {
                if fields > 1 { arguments.append((starts.1, ends.1)) }
                if fields > 2 { arguments.append((starts.2, ends.2)) }
                if fields > 3 { return nil }
            }
            // Options start with `--`; leave them (and any argument that looks like one) to the general path.
            for (from, to) in arguments where to - from >= 2 && bytes[from] == UInt8(ascii: "-") && bytes[from + 1] == UInt8(ascii: "-") {
                return nil
            }
            func field(_ range: (Int, Int)) -> [UInt8] { Array(bytes[range.0..<range.1]) }
            switch (isVerb(bytes, verb, "PUT"), isVerb(bytes, verb, "GET"), arguments.count) {
            case (true, _, 2):
                return RequestLine(tag: tag, .put(PutRequest(key: field(arguments[0]), value: field(arguments[1]))))
            case (_, true, 1):
                return RequestLine(tag: tag, .range(RangeRequest(key: field(arguments[0]))))
            default:
                return nil
            }
        }
    }

    /// Whether the field spells a three-letter verb, in any case.
    private static func isVerb(_ bytes: UnsafeBufferPointer<UInt8>, _ range: (Int, Int), _ verb: StaticString) -> Bool {
        guard range.1 - range.0 == 3 else { return false }
        let expected = verb.utf8Start
        for offset in 0..<3 where bytes[range.0 + offset] & 0xdf != expected[offset] { return false }
        return true
    }
}
