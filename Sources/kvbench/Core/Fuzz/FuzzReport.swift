/// A case as the driver remembers it for a reproducer.
public struct SentCase: Sendable {
    /// The case's number in its seed's sequence (0-based).
    public var index: Int
    /// The fuzz connection it went to.
    public var lane: Int
    public var summary: String
    /// The bytes, shortened and escaped for a terminal (see ``FuzzReport/preview(_:)``).
    public var preview: String
}

/// A fuzz run that found the server dead, hung or unhealthy: what happened, where in the seed's
/// sequence, and the last cases sent, so the run can be replayed.
public struct FuzzFailure: Error, CustomStringConvertible, Sendable {
    public var what: String
    public var kind: FuzzTransportError.Kind
    public var seed: UInt64
    /// The batch being sent or checked (0-based) and the cases it held.
    public var batch: Int
    public var cases: Range<Int>
    /// The last cases sent before the failure, oldest first.
    public var recent: [SentCase]

    public var description: String {
        var text = """
        FUZZ FAILURE (\(kind.rawValue)): \(what)
          seed \(seed), batch \(batch) (cases \(cases.lowerBound)..<\(cases.upperBound))
          replay: the same seed with --cases \(cases.upperBound) (and the same --conns and --batch)
          last cases sent, oldest first:
        """
        for sent in recent {
            text += "\n    #\(sent.index) conn \(sent.lane): \(sent.summary)\n        \(sent.preview)"
        }
        text += "\n  (the culprit may be any case of the batch: replay with --trace; the last case printed before the server dies is the one)"
        return text
    }
}

/// What a fuzz run did: how many cases, how long, how the healthy client fared, and the failure if any.
public struct FuzzReport: Sendable {
    public var seed: UInt64
    public var casesSent = 0
    public var batches = 0
    /// Probe rounds the healthy client got answered (one after every batch).
    public var probes = 0
    public var seconds = 0.0
    /// The healthy client's request latencies (ns).
    public var health = Histogram()
    /// Connections closed or reset mid-line by partial-line cases, and reopened.
    public var disconnects = 0
    /// Cases per mutation name, sorted by name.
    public var mutations: [(name: String, count: Int)] = []
    /// Cases skipped as known crashes, by crash name.
    public var skipped: [(reason: String, count: Int)] = []
    public var failure: FuzzFailure?

    public init(seed: UInt64) { self.seed = seed }

    /// `name: value unit` lines, as kvbench prints its figures.
    public func figures(prefix: String = "fuzz") -> [String] {
        func ms(_ ns: UInt64) -> String { Summary.fixed(Double(ns) / 1e6, 3) }
        var lines = [
            "\(prefix).cases: \(casesSent) cases",
            "\(prefix).minutes: \(Summary.fixed(seconds / 60, 2)) min",
            "\(prefix).batches: \(batches) batches",
            "\(prefix).healthy_probes: \(probes) rounds",
            "\(prefix).healthy_p50: \(ms(health.percentile(50))) ms",
            "\(prefix).healthy_p99: \(ms(health.percentile(99))) ms",
            "\(prefix).healthy_max: \(ms(health.count > 0 ? health.maximum : 0)) ms",
            "\(prefix).disconnects: \(disconnects) connections",
        ]
        for (reason, count) in skipped { lines.append("\(prefix).skipped_known_crash.\(reason): \(count) cases") }
        lines.append("\(prefix).failures: \(failure == nil ? 0 : 1) failures")
        return lines
    }

    /// `bytes` for a terminal: printable ASCII as is, other bytes escaped (`\n`, `\t`, `\xHH`), and a long
    /// line cut to its start and end around a `…(N bytes)…` marker.
    public static func preview(_ bytes: [UInt8], head: Int = 100, tail: Int = 30) -> String {
        func escape(_ part: ArraySlice<UInt8>) -> String {
            var text = ""
            for byte in part {
                switch byte {
                case UInt8(ascii: "\n"): text += "\\n"
                case UInt8(ascii: "\r"): text += "\\r"
                case UInt8(ascii: "\t"): text += "\\t"
                case UInt8(ascii: "\\"): text += "\\\\"
                case 0x20...0x7e: text.unicodeScalars.append(UnicodeScalar(byte))
                default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
                }
            }
            return text
        }
        if bytes.count <= head + tail + 20 { return escape(bytes[...]) }
        return escape(bytes.prefix(head)) + "…(\(bytes.count) bytes)…" + escape(bytes.suffix(tail))
    }
}
