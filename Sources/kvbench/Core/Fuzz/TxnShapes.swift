/// Whole TXN lines at the edges of nesting and size, built as bytes (a hundred thousand levels do not
/// need a token each).
public enum TxnShapes {
    /// Nesting depths to try, and how often (the deepest are the costliest to send); a depth whose line
    /// would not fit under the line limit is still sent (and must be refused with `TOO_LARGE`, not parsed).
    public static let depths: [(depth: Int, weight: Int)] = [
        (64, 3), (200, 3), (1_000, 3), (2_000, 2), (5_000, 2), (10_000, 1), (20_000, 1), (100_000, 1),
    ]

    /// `TXN THEN TXN THEN … GET a END END …`, `depth` TXNs deep, in one of a few shapes: plain, with a
    /// compare at every level, through ELSE branches, with ENDs missing, or with one END too many.
    /// Returns the line (terminated) and a summary.
    public static func deepNesting(depth: Int, _ random: inout SplitMix64) -> (bytes: [UInt8], summary: String) {
        let shapes = ["plain", "compares", "else", "missing END", "extra END", "no END at all"]
        let shape = random.below(shapes.count)
        let open: [UInt8] = switch shape {
        case 1: Array("TXN IF VERSION a > 0 THEN ".utf8)
        case 2: Array("TXN ELSE ".utf8)
        default: Array("TXN THEN ".utf8)
        }
        var ends = depth
        if shape == 3 { ends = depth / 2 }
        if shape == 4 { ends = depth + 1 }
        if shape == 5 { ends = 0 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(depth * (open.count + 4) + 16)
        for _ in 0..<depth { bytes += open }
        bytes += Array("GET a".utf8)
        for _ in 0..<ends { bytes += Array(" END".utf8) }
        bytes.append(UInt8(ascii: "\n"))
        return (bytes, "deepTxnNesting(depth \(depth), \(shapes[shape]), \(bytes.count) bytes)")
    }

    /// A TXN with `limit - 1`, `limit`, `limit + 1` or many more operations (or compares, or operations
    /// spread over nested TXNs) for a server whose `--max-txn-ops` is `limit`. Operations write, read and
    /// delete distinct single keys, so the reply stays small — except in the last shape, whose operations
    /// are all range reads (`GET "" --prefix`…), each answering with a copy of the store.
    public static func opCountEdge(limit: Int, _ random: inout SplitMix64) -> (bytes: [UInt8], summary: String) {
        let count = max(0, random.pick([limit - 1, limit, limit + 1, 2 * limit, 10 * limit]))
        var line = "TXN"
        let shape = random.below(5)
        switch shape {
        case 0:
            line += " THEN"
            for i in 0..<count { line += op(i, &random) }
        case 1:
            line += " IF"
            for i in 0..<count { line += " VERSION k\(i) > -1" }
            line += " THEN PUT k v"
        case 2:
            // `count` operations in total, spread over nested TXNs of at most `limit` each.
            line += " THEN"
            var i = 0
            while i < count {
                line += " TXN THEN"
                for _ in 0..<min(max(limit, 1), count - i) { line += op(i, &random); i += 1 }
                line += " END"
            }
        case 3:
            line += " THEN"
            for i in 0..<(count / 2) { line += op(i, &random) }
            line += " ELSE"
            for i in (count / 2)..<count { line += op(i, &random) }
        default:
            line += " THEN"
            for _ in 0..<min(count, limit + 1) { line += random.pick([" GET \"\" --prefix", " GET a --from-key", " GET a zz", " RANGE \"\" \"\\0\""]) }
        }
        line += " END\n"
        let shapes = ["ops", "compares", "nested", "both branches", "range reads"]
        return (Array(line.utf8), "txnOpCountEdge(\(shape == 4 ? min(count, limit + 1) : count) \(shapes[shape]), limit \(limit))")
    }

    static func op(_ i: Int, _ random: inout SplitMix64) -> String {
        switch random.below(3) {
        case 0: " PUT k\(i) v\(i)"
        case 1: " GET k\(i)"
        default: " DEL k\(i)"
        }
    }
}
