/// When the log's writes reach the disk (`--wal-sync`).
public enum WALSyncMode: Equatable, Sendable, CustomStringConvertible {
    /// `fdatasync` before any reply that depends on the write is released (the default with a data dir,
    /// as etcd): an acknowledged write survives a crash or a power cut.
    case always
    /// Written before any reply that depends on it is released, `fdatasync` at most once per this many
    /// nanoseconds (Redis's `everysec`): a crash of the process loses nothing acknowledged, a power cut
    /// may lose the writes of the last interval.
    case interval(nanoseconds: UInt64)
    /// Written in the background, never synced, replies not held (tests and benchmarks only): a crash
    /// may lose the last milliseconds of acknowledged writes, a power cut anything since the last snapshot.
    case none

    /// Parses `always`, `none` or `interval=DURATION` (`1s`, `250ms`, `2m`).
    public static func parse(_ text: String) -> WALSyncMode? {
        switch text {
        case "always": return .always
        case "none": return WALSyncMode.none
        default:
            guard text.hasPrefix("interval=") else { return nil }
            guard let nanoseconds = parseDuration(String(text.dropFirst("interval=".count))), nanoseconds > 0 else { return nil }
            return .interval(nanoseconds: nanoseconds)
        }
    }

    /// Whether replies wait for the log: for the sync in `always` mode, for the write (into the kernel,
    /// so that a crash of the process loses nothing acknowledged, as Redis's `everysec`) in `interval`
    /// mode; not at all in `none` mode.
    public var holdsReplies: Bool { self != .none }

    public var description: String {
        switch self {
        case .always: "always"
        case .none: "none"
        case .interval(let nanoseconds): "interval=\(WALSyncMode.formatDuration(nanoseconds))"
        }
    }

    static func parseDuration(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("ms", 1_000_000), ("us", 1_000), ("ns", 1), ("s", 1_000_000_000), ("m", 60_000_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let value = UInt64(digits) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return nil
    }

    static func formatDuration(_ nanoseconds: UInt64) -> String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }
}
