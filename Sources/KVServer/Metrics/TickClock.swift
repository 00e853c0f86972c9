import CTicks
import Glibc
import KVPosix

/// Times requests in CPU ticks (`kv_ticks`: the x86-64 time-stamp counter, arm64's virtual counter),
/// which costs a few nanoseconds to read where `clock_gettime` costs tens: two reads per request would
/// otherwise be a visible share of a pipelined PUT's few microseconds.
///
/// The tick rate is measured once per process against `CLOCK_MONOTONIC` (over `calibrationNanoseconds`,
/// when the first loop's metrics are made), so the histograms still speak seconds.
enum TickClock {
    static let calibrationNanoseconds: UInt64 = 10_000_000

    @inline(__always)
    static func now() -> UInt64 { kv_ticks() }

    /// Nanoseconds per tick (1 where `kv_ticks` already counts nanoseconds).
    static let nanosecondsPerTick: Double = {
        let startTicks = kv_ticks()
        let startNanos = Posix.monotonicNanoseconds()
        var pause = timespec(tv_sec: 0, tv_nsec: Int(calibrationNanoseconds))
        var remaining = timespec()
        while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
        let endTicks = kv_ticks()
        let endNanos = Posix.monotonicNanoseconds()
        guard endTicks > startTicks, endNanos > startNanos else { return 1 }
        return Double(endNanos - startNanos) / Double(endTicks - startTicks)
    }()

    static func ticks(nanoseconds: UInt64) -> UInt64 {
        let ticks = Double(nanoseconds) / nanosecondsPerTick
        return ticks >= Double(UInt64.max) ? .max : UInt64(ticks)
    }

    static func nanoseconds(ticks: UInt64) -> Double { Double(ticks) * nanosecondsPerTick }
}
