/// One fuzz case: the bytes written to a connection in one go, and what to do with the connection after.
public struct FuzzCase: Sendable {
    /// What happens to the connection once the bytes are written.
    public enum Ending: String, Sendable {
        /// It carries on with the next case.
        case keepOpen
        /// It is closed (FIN), typically in the middle of a line.
        case close
        /// It is reset (RST: `SO_LINGER` 0), typically in the middle of a line.
        case reset
    }

    public var bytes: [UInt8]
    public var ending: Ending
    /// One line saying what the case is (`WATCH +numericEdge(--watch-id=9223372036854775807)`), for
    /// traces and reproducers.
    public var summary: String
    /// The names of the mutations applied (for counting what a run covered).
    public var mutations: [String]

    public init(bytes: [UInt8], ending: Ending = .keepOpen, summary: String, mutations: [String] = []) {
        self.bytes = bytes
        self.ending = ending
        self.summary = summary
        self.mutations = mutations
    }
}

/// A front end's fuzz cases: what bytes a case is. One conforming type per wire protocol (the line
/// protocol's is ``LineFuzzer``; a gRPC or HTTP/1.1 JSON front end would bring its own).
///
/// Conformers must be deterministic: the same seed yields the same cases, so that a failure's seed and
/// case number reproduce it.
public protocol FuzzCaseSource {
    /// The next case. Never fails; a source that skips cases (known crashes) skips them inside.
    mutating func next() -> FuzzCase
    /// How many cases were skipped, by reason (e.g. a known crash's name), in a stable order.
    var skipped: [(reason: String, count: Int)] { get }
}
