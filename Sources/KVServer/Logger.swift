import Glibc

enum LogLevel: Int, Comparable, Sendable {
    case debug, info, warn, error

    init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }

    var label: StaticString {
        switch self {
        case .debug: "debug"
        case .info: "info "
        case .warn: "warn "
        case .error: "error"
        }
    }

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One readable line per event on stderr: `2025-01-31T12:00:00.123Z info  message key=value …`.
///
/// Each line is written with a single `write(2)`, so lines from different loop threads never interleave.
/// The message is built only when its level is enabled.
struct Logger: Sendable {
    let level: LogLevel
    /// Where lines go: 2 (stderr) normally; -1 silences the logger (tests).
    let fd: Int32

    init(level: LogLevel, fd: Int32 = 2) {
        self.level = level
        self.fd = fd
    }

    func debug(_ message: @autoclosure () -> String) { log(.debug, message) }
    func info(_ message: @autoclosure () -> String) { log(.info, message) }
    func warn(_ message: @autoclosure () -> String) { log(.warn, message) }
    func error(_ message: @autoclosure () -> String) { log(.error, message) }

    func isEnabled(_ level: LogLevel) -> Bool { fd >= 0 && level >= self.level }

    private func log(_ level: LogLevel, _ message: () -> String) {
        guard isEnabled(level) else { return }
        var line: [UInt8] = []
        line.reserveCapacity(128)
        Logger.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        level.label.withUTF8Buffer { line.append(contentsOf: $0) }
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: message().utf8)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// UTC wall-clock time with milliseconds, ISO 8601.
    private static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4); line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); line.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec / 1_000_000), 3); line.append(UInt8(ascii: "Z"))
    }
}
