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

/// The line protocol's known crashes. Empty: the three this fuzzer found (a watch id near `Int64.max`,
/// TXNs nested thousands deep, gigabyte replies from one TXN) are fixed, and their reproducers are
/// regression tests (Tests/KVServerTests/CrashRegressionTests.swift, ReplyMemoryTests.swift). List a new
/// crash here while its fix is under way.
public enum KnownCrashes {
    /// Every known crash of the line protocol.
    public static let lineProtocol: [KnownCrash] = []

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
