import Glibc

/// The process's own figures, read from `/proc` at scrape time, for Prometheus's standard `process_*`
/// metrics (the names and meanings of the Go and Java clients').
struct ProcessMetrics: Equatable {
    /// User plus system CPU time (`process_cpu_seconds_total`).
    var cpuSeconds: Double
    /// Resident set size (`process_resident_memory_bytes`).
    var residentBytes: Int
    /// Virtual memory size (`process_virtual_memory_bytes`).
    var virtualBytes: Int
    /// Open file descriptors (`process_open_fds`), not counting the one used to count them.
    var openFDs: Int
    /// The soft limit on open descriptors (`process_max_fds`).
    var maxFDs: Int
    /// When the process started, in seconds since the Unix epoch (`process_start_time_seconds`).
    var startTimeSeconds: Double

    /// Reads the current process's figures; nil when `/proc` is not mounted or unreadable.
    static func current() -> ProcessMetrics? {
        guard let stat = readFile("/proc/self/stat"), let fields = statFields(stat),
              let boot = readFile("/proc/stat").flatMap(bootTime) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = sysconf(Int32(_SC_PAGESIZE))
        var limit = rlimit()
        let maxFDs = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : -1
        return ProcessMetrics(cpuSeconds: Double(fields.utime + fields.stime) / ticks,
                              residentBytes: fields.rssPages * page, virtualBytes: fields.vsize,
                              openFDs: countOpenFDs(), maxFDs: maxFDs,
                              startTimeSeconds: Double(boot) + Double(fields.starttime) / ticks)
    }

    struct StatFields: Equatable {
        var utime: Int
        var stime: Int
        var starttime: Int
        var vsize: Int
        var rssPages: Int
    }

    /// The fields of `/proc/<pid>/stat` used here. The command name (field 2) is in parentheses and may
    /// itself hold spaces and parentheses, so fields are counted from the last `)`.
    static func statFields(_ text: String) -> StatFields? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is at index 0, so field n is at index n - 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Int? { number - 3 < fields.count ? Int(fields[number - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
              let rss = field(24) else { return nil }
        return StatFields(utime: utime, stime: stime, starttime: start, vsize: vsize, rssPages: rss)
    }

    /// The boot time (`btime`, seconds since the epoch) from `/proc/stat`.
    static func bootTime(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst(6).trimmingPrefix(" "))
        }
        return nil
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count - 1  // the directory being read is open too
    }

    /// A small text file read whole (procfs files report size 0, so this reads until end of file).
    static func readFile(_ path: String, limit: Int = 1 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
