/// Applies one byte-level ``LineMutation`` to a rendered line: it knows nothing of the protocol, so it
/// reaches what structural mutations cannot (a flipped bit inside a verb, a NUL in an option name, a
/// line split in two by an inserted `\n`).
///
/// The line keeps its final terminator (the last byte of `line`), so the connection stays in step; the
/// result may hold more lines than it started with.
public enum ByteMutator {
    /// Bytes worth inserting: framing, quoting and escape bytes, control and non-ASCII bytes.
    static let awkward: [UInt8] = [
        0x00, 0x01, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x5c, 0x3d, 0x40, 0x2d, 0x7f, 0x80, 0xc3, 0xff, 0x78,
    ]

    /// Returns a description for the case's summary, or nil when the mutation does not apply.
    public static func apply(_ mutation: LineMutation, to line: inout [UInt8], _ random: inout SplitMix64) -> String? {
        let body = max(line.count - 1, 0)  // everything but the final terminator byte
        switch mutation {
        case .byteFlip:
            guard body > 0 else { return nil }
            let flips = random.int(in: 1...4)
            for _ in 0..<flips { line[random.below(body)] ^= UInt8(1) << UInt8(random.below(8)) }
            return "byteFlip(×\(flips))"
        case .byteInsertion:
            let count = random.int(in: 1...8)
            for _ in 0..<count {
                let byte = random.chance(percent: 70) ? random.pick(awkward) : UInt8(truncatingIfNeeded: random.next())
                line.insert(byte, at: random.int(in: 0...body))
            }
            return "byteInsertion(×\(count))"
        case .truncation:
            guard body > 1 else { return nil }
            let keep = random.below(body)
            line.removeSubrange(keep..<body)
            return "truncation(\(keep) bytes kept)"
        case .whitespace:
            switch random.below(6) {
            case 0: line.insert(contentsOf: random.pick([[0x20], [0x09], [0x20, 0x20, 0x09]]), at: 0)
            case 1: line.insert(contentsOf: [0x20, 0x09, 0x20], at: body)
            case 2: line.insert(contentsOf: random.pick([[0x0a], [0x0d, 0x0a], [0x20, 0x0a], [0x09, 0x0d, 0x0a]]), at: 0)
            case 3: line.insert(0x0d, at: random.int(in: 0...body))
            case 4: line.insert(contentsOf: [0x0d, 0x0d], at: body)
            default: line = [0x20, 0x09, 0x0d, 0x0a]
            }
            return "whitespace"
        default:
            return nil
        }
    }
}
