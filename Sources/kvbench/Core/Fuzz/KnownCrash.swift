import KVProtocol
import KVStore

/// A server crash the fuzzer found whose fix has not merged yet. While it is listed, fuzz runs skip the
/// cases that would hit it (and count them), so the suite stays green and a run can look for new crashes
/// instead of finding this one again.
///
/// **Remove an entry as soon as its fix merges** (and with it the list, once empty, and the
/// `knownCrashes:` arguments that pass it): a listed crash is a hole in the fuzzer's coverage.
public struct KnownCrash: Sendable {
    public let name: String
    /// A line that crashed kvserver, to check a fix by hand.
    public let reproducer: String
    /// Whether one request line would hit the crash. May over-match: a skipped case only costs coverage.
    public let matches: @Sendable (CaseLine) -> Bool

    public init(name: String, reproducer: String, matches: @escaping @Sendable (CaseLine) -> Bool) {
        self.name = name
        self.reproducer = reproducer
        self.matches = matches
    }

    /// The first crash in `list` that a line of `bytes` would hit.
    public static func first(in list: [KnownCrash], hitBy bytes: [UInt8]) -> KnownCrash? {
        guard !list.isEmpty else { return nil }
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if !line.isEmpty {
                let facts = CaseLine(line)
                if let crash = list.first(where: { $0.matches(facts) }) { return crash }
            }
            start = end + 1
        }
        return nil
    }
}

/// One request line of a case (terminator removed), with what the known-crash checks look at worked out
/// once: its verb and, for a TXN, how many tokens spell `TXN`.
public struct CaseLine: Sendable {
    public let bytes: ArraySlice<UInt8>
    /// The first token after an optional tag, upper-cased (nil for a blank line).
    public let verb: String?
    /// For a TXN line, the tokens spelling `TXN` in any case (an upper bound of its nesting depth); 0 otherwise.
    public let txnWords: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        verb = KnownCrashes.firstVerb(of: bytes)
        txnWords = verb == "TXN" ? KnownCrashes.txnWords(in: bytes) : 0
    }
}

/// The line protocol's known crashes (found by this fuzzer; fixes under way on main).
public enum KnownCrashes {
    /// Every known crash of the line protocol. Remove entries as their fixes merge.
    public static let lineProtocol: [KnownCrash] = [watchIDNearInt64Max, deepTxnNesting, txnReplyAmplification]

    /// `WATCH --watch-id=N` with N near `Int64.max`: the watcher hub computes `N + 1` for its next id and
    /// traps on overflow (then, or at the next WATCH).
    public static let watchIDNearInt64Max = KnownCrash(
        name: "watchIDNearInt64Max", reproducer: "WATCH a --watch-id=9223372036854775807"
    ) { line in
        guard line.verb == "WATCH", case .watch(let watch)? = (try? RequestDecoder.decode(Array(line.bytes)))?.request else {
            return false
        }
        return watch.watchID > Int64.max - (1 << 32)
    }

    /// Deeper TXN nesting than this is skipped: the parser recurses once per level and overflows the
    /// server's stack (a debug build dies near 5,000 levels, a release build near 10,000).
    public static let maxSafeTxnDepth = 1_000

    public static let deepTxnNesting = KnownCrash(
        name: "deepTxnNesting", reproducer: "TXN THEN TXN THEN … (10,000 levels) … GET a END END …"
    ) { line in
        line.txnWords > maxSafeTxnDepth
    }

    /// A TXN whose range reads each copy the whole store into one reply: with many of them the reply
    /// reaches gigabytes, built in memory at once. Skipped beyond this many ranged reads in one TXN.
    public static let maxRangedReadsPerTxn = 8

    public static let txnReplyAmplification = KnownCrash(
        name: "txnReplyAmplification", reproducer: "TXN THEN GET \"\" --prefix GET \"\" --prefix … (100 times) END"
    ) { line in
        guard line.txnWords > 0 else { return false }
        if line.txnWords <= 64 {
            // Shallow enough to decode on any thread's stack.
            guard case .txn(let txn)? = (try? RequestDecoder.decode(Array(line.bytes)))?.request else { return false }
            return rangedReads(txn) > maxRangedReadsPerTxn
        }
        let rangeFlags = tokens(of: line.bytes).filter { ["--PREFIX", "--FROM-KEY"].contains(upper($0)) }.count
        return rangeFlags > maxRangedReadsPerTxn
    }

    static func rangedReads(_ txn: TxnRequest) -> Int {
        (txn.success + txn.failure).reduce(0) { count, op in
            switch op {
            case .range(let range): count + (range.rangeEnd.isEmpty ? 0 : 1)
            case .txn(let nested): count + rangedReads(nested)
            default: count
            }
        }
    }

    // MARK: - Lexical helpers (no decoding, so safe on lines of any depth, and cheap on long ones)

    /// The line split at spaces and tabs (quotes ignored: good enough to spot words).
    static func tokens(of line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
    }

    static func upper(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// How many space-separated tokens spell `TXN` in any case (an upper bound of the nesting depth).
    static func txnWords(in line: ArraySlice<UInt8>) -> Int {
        line.withUnsafeBufferPointer { bytes in
            func isSpace(_ index: Int) -> Bool { bytes[index] == 0x20 || bytes[index] == 0x09 }
            var count = 0
            var i = 0
            let n = bytes.count
            while i + 3 <= n {
                if bytes[i] | 0x20 == 0x74, bytes[i + 1] | 0x20 == 0x78, bytes[i + 2] | 0x20 == 0x6e,
                   i == 0 || isSpace(i - 1), i + 3 == n || isSpace(i + 3) {
                    count += 1
                    i += 4
                } else {
                    i += 1
                }
            }
            return count
        }
    }

    /// The first token after an optional tag, upper-cased (only the line's start is read).
    static func firstVerb(of line: ArraySlice<UInt8>) -> String? {
        let words = tokens(of: line.prefix(200)).prefix(2)
        guard let first = words.first else { return nil }
        if first.first == UInt8(ascii: "@") { return words.dropFirst().first.map(upper) }
        return upper(first)
    }
}
