import KVProtocol

/// Writes metrics in the Prometheus text exposition format, version 0.0.4: per family a `# HELP` and a
/// `# TYPE` line, then one `name{label="value",…} value` line per sample, each ending in `\n`.
///
/// Label values are escaped as the format requires (`\\`, `\"`, `\n`); help texts escape `\\` and `\n`.
/// Integer values are written in decimal, fractional ones in Swift's shortest round-tripping form.
struct PrometheusText {
    /// The content type of a scrape's response.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    enum Kind: String { case counter, gauge, histogram }

    private(set) var buffer = ByteBuffer(capacity: 16 * 1024)

    /// The text written so far.
    var bytes: [UInt8] { Array(buffer.readableView) }

    /// Starts a family: its help and type lines.
    mutating func family(_ name: String, _ kind: Kind, help: String) {
        buffer.writeString("# HELP \(name) ")
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeASCII("\\\\")
            case UInt8(ascii: "\n"): buffer.writeASCII("\\n")
            default: buffer.writeByte(byte)
            }
        }
        buffer.writeString("\n# TYPE \(name) \(kind.rawValue)\n")
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: UInt64) {
        writeName(name, labels)
        buffer.writeDecimal(value)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: Int) {
        writeName(name, labels)
        buffer.writeDecimal(value)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: Double) {
        writeName(name, labels)
        if value.isNaN {
            buffer.writeASCII("NaN")
        } else if value.isInfinite {
            buffer.writeASCII(value < 0 ? "-Inf" : "+Inf")
        } else if value == value.rounded(), abs(value) < 1e15 {
            buffer.writeDecimal(Int64(value))
        } else {
            buffer.writeString("\(value)")
        }
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// A one-sample family.
    mutating func single(_ name: String, _ kind: Kind, help: String, _ value: some BinaryInteger) {
        family(name, kind, help: help)
        sample(name, [:], Int64(clamping: value))
    }

    mutating func single(_ name: String, _ kind: Kind, help: String, _ value: Double) {
        family(name, kind, help: help)
        sample(name, [:], value)
    }

    /// A histogram's samples: cumulative `_bucket` lines (`le` in seconds, ending with `+Inf`), `_sum`
    /// (seconds) and `_count`. `buckets` holds per-bucket (not cumulative) counts, +Inf last; `bounds`
    /// are in nanoseconds.
    mutating func histogram(_ name: String, _ labels: [(String, String)], bounds: [UInt64], buckets: ArraySlice<UInt64>,
                            sumNanoseconds: Double) {
        var cumulative: UInt64 = 0
        for (offset, count) in buckets.enumerated() {
            cumulative &+= count
            let le = offset < bounds.count ? LatencyBuckets.label(bounds[offset]) : "+Inf"
            writeName(name + "_bucket", labels + [("le", le)])
            buffer.writeDecimal(cumulative)
            buffer.writeByte(UInt8(ascii: "\n"))
        }
        writeName(name + "_sum", labels)
        buffer.writeString("\(sumNanoseconds / 1e9)\n")
        writeName(name + "_count", labels)
        buffer.writeDecimal(cumulative)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: Int64) {
        writeName(name, labels)
        buffer.writeDecimal(value)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    private mutating func writeName(_ name: String, _ labels: KeyValuePairs<String, String>) {
        writeName(name, labels.map { ($0.key, $0.value) })
    }

    private mutating func writeName(_ name: String, _ labels: [(String, String)]) {
        buffer.writeString(name)
        if !labels.isEmpty {
            buffer.writeByte(UInt8(ascii: "{"))
            for (index, (label, value)) in labels.enumerated() {
                if index > 0 { buffer.writeByte(UInt8(ascii: ",")) }
                buffer.writeString(label)
                buffer.writeASCII("=\"")
                for byte in value.utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): buffer.writeASCII("\\\\")
                    case UInt8(ascii: "\""): buffer.writeASCII("\\\"")
                    case UInt8(ascii: "\n"): buffer.writeASCII("\\n")
                    default: buffer.writeByte(byte)
                    }
                }
                buffer.writeByte(UInt8(ascii: "\""))
            }
            buffer.writeByte(UInt8(ascii: "}"))
        }
        buffer.writeByte(UInt8(ascii: " "))
    }
}
