#if canImport(Glibc)
import Glibc
#endif

func sleepNanoseconds(_ ns: Int64) {
    var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// Monotonic nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// capnslog's timestamp: `2006-01-02 15:04:05.000000`, local time.
func logTimestamp() -> String {
    wallClockText(utc: false, separator: " ", fractionDigits: 6)
}

/// The wall clock now as `YYYY-MM-DD<separator>HH:MM:SS.<fraction>`, in UTC or local time, with 3
/// (milliseconds) or 6 (microseconds) fraction digits: what the Go loggers etcdctl uses print.
func wallClockText(utc: Bool, separator: String, fractionDigits: Int) -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var seconds = ts.tv_sec
    var parts = tm()
    if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
    func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
    let fraction = fractionDigits == 3 ? ts.tv_nsec / 1_000_000 : ts.tv_nsec / 1000
    return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))\(separator)"
        + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(fraction, fractionDigits))"
}
