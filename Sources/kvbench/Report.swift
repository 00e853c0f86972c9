import Glibc

/// Prints one figure per line as `name: value unit`, flushed at once so progress shows while running.
enum Report {
    static func figure(_ name: String, _ value: Double, _ unit: String) {
        let text: String
        if value >= 1000 || value == value.rounded() {
            text = String(Int64(value.rounded()))
        } else {
            text = formatted(value, decimals: value < 10 ? 3 : 1)
        }
        print("\(name): \(text) \(unit)")
        fflush(nil)
    }

    static func ratio(_ name: String, _ value: Double) {
        print("\(name): \(formatted(value, decimals: 3))")
        fflush(nil)
    }

    static func note(_ text: String) {
        print("# \(text)")
        fflush(nil)
    }

    private static func formatted(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int64(scaled / scale)
        var fraction = String(Int64(abs(scaled) - abs(Double(whole)) * scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return "\(whole).\(fraction)"
    }

    /// Resident set size of this process, in bytes, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0, resident = 0
        guard withUnsafeMutablePointer(to: &size, { s in
            withUnsafeMutablePointer(to: &resident) { r in
                withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
            }
        }) == 2 else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Seconds elapsed while running `body`.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    let (seconds, attoseconds) = elapsed.components
    return Double(seconds) + Double(attoseconds) / 1e18
}
