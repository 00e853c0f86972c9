@testable import HPACK
import TestSupport

/// Random header lists shaped like real traffic: static-table names and values, gRPC names, repeats (so indexing
/// pays), empty values, non-ASCII text and, rarely, long values.
struct RandomHeaders {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    static let commonNames = StaticTable.entries.map(\.name) + [
        "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "grpc-status", "grpc-message",
        "x-request-id", "custom-key",
    ]
    static let commonValues = StaticTable.entries.map(\.value) + [
        "trailers", "application/grpc", "application/grpc+proto", "1S", "100m", "0", "identity,gzip",
        "/etcdserverpb.KV/Range", "grpc-go/1.60.1", "custom-value", "café", "日本語", "🙂 emoji",
    ]
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-_./:;, =".unicodeScalars)
        + ["é", "ß", "€", "日", "🙂", "\u{0}", "\u{7F}", "\u{80}"].map { $0.unicodeScalars.first! }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ oneIn: Int) -> Bool { int(1...oneIn) == 1 }

    mutating func text(maxLength: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<int(0...maxLength) { scalars.append(Self.alphabet[int(0...(Self.alphabet.count - 1))]) }
        return String(scalars)
    }

    mutating func name() -> String {
        chance(4) ? text(maxLength: 20) : Self.commonNames[int(0...(Self.commonNames.count - 1))]
    }

    mutating func value() -> String {
        if chance(40) { return text(maxLength: 1500) }
        return chance(3) ? text(maxLength: 40) : Self.commonValues[int(0...(Self.commonValues.count - 1))]
    }

    /// A list of up to `maxCount` fields, some repeated from `recent` (fields of earlier lists on the connection).
    mutating func list(maxCount: Int = 12, recent: inout [HeaderField]) -> [HeaderField] {
        var list: [HeaderField] = []
        for _ in 0..<int(0...maxCount) {
            if !recent.isEmpty && chance(2) {
                list.append(recent[int(0...(recent.count - 1))])
            } else {
                let field = HeaderField(name(), value())
                list.append(field)
                recent.append(field)
                if recent.count > 30 { recent.removeFirst() }
            }
        }
        return list
    }
}
