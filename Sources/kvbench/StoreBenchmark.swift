import KVStore

/// In-process benchmarks of the store against a `Dictionary<[UInt8], [UInt8]>` doing the same point
/// operations in the same run. Keys are pseudo-random bytes derived from their index, so no key list
/// is held in memory while measuring memory per key.
struct StoreBenchmark {
    let keys: Int
    let keySize: Int
    let valueSize: Int
    let seed: UInt64
    /// `--only snapshot`: build the store, then only save, inspect and restore it, `rounds` times.
    let onlySnapshot: Bool
    let rounds: Int
    /// `--only reads` measures put, get and range100 (and memory per key) and skips the rest.
    let readsOnly: Bool

    init(options: inout BenchmarkOptions) throws {
        keys = max(1, try options.int("keys", default: 1_000_000))
        keySize = max(8, try options.int("key-size", default: 16))
        valueSize = try options.int("value-size", default: 100)
        seed = UInt64(try options.int("seed", default: 1))
        let only = options.string("only", default: "")
        guard only == "" || only == "snapshot" || only == "reads" else {
            throw BenchmarkOptions.Failure("--only takes 'reads' or 'snapshot', got '\(only)'")
        }
        onlySnapshot = only == "snapshot"
        readsOnly = only == "reads"
        rounds = max(1, try options.int("rounds", default: 1))
    }

    /// The key of index `i`: `keySize` bytes, the first 8 a mixed hash of `i` (random order).
    func key(_ i: Int) -> [UInt8] {
        let z = SplitMix.mix(UInt64(i) &+ seed &* SplitMix.increment)
        var bytes = [UInt8](repeating: 0x2d, count: keySize)
        for b in 0..<8 { bytes[b] = UInt8(truncatingIfNeeded: z >> (56 - 8 * UInt64(b))) }
        var n = UInt64(i)
        var position = keySize - 1
        while position >= 8, n > 0 { bytes[position] = 0x30 + UInt8(n % 10); n /= 10; position -= 1 }
        return bytes
    }

    func run() {
        if onlySnapshot {
            runSnapshotOnly()
            return
        }
        runStore()
        if readsOnly { return }
        // On a heap without the big store: measured inside it, the figures below also measure the
        // cache and TLB misses the 1M-key store causes, not the watcher and lease code.
        runWatchAndLease(value: [UInt8](repeating: 0x76, count: valueSize))
    }

    private func runStore() {
        Report.note("store benchmark: \(keys) keys of \(keySize) B, values of \(valueSize) B")
        let value = [UInt8](repeating: 0x76, count: valueSize)
        let lookups = min(keys, 1_000_000)

        // Store first, while the heap is fresh, so the RSS delta is the store's own.
        let rssBefore = Report.residentBytes()
        let store = Store()
        let putSeconds = measure {
            for i in 0..<keys { _ = try? store.put(key(i), value) }
        }
        let rssAfter = Report.residentBytes()
        var probeKeys: [[UInt8]] = []
        probeKeys.reserveCapacity(lookups)
        var rng = SplitMix(seed: seed)
        for _ in 0..<lookups { probeKeys.append(key(Int(rng.next() % UInt64(keys)))) }
        var found = 0
        let getSeconds = measure {
            for k in probeKeys where (try? store.range(RangeRequest(key: k)))?.kvs.isEmpty == false { found += 1 }
        }
        precondition(found == lookups, "every probed key must be found")

        // Ranges of exactly 100 keys: [k(j), k(j+100)) over the sorted key list, from random starts.
        var sortedKeys = (0..<keys).map { key($0) }
        sortedKeys.sort { $0.lexicographicallyPrecedes($1) }
        let ranges = max(1, min(20_000, keys / 100))
        var rangeKeys = 0
        let rangeSeconds = measure {
            for _ in 0..<ranges {
                let j = Int(rng.next() % UInt64(max(1, sortedKeys.count - 100)))
                let end = j + 100 < sortedKeys.count ? sortedKeys[j + 100] : [0]
                if let r = try? store.range(RangeRequest(key: sortedKeys[j], rangeEnd: end)) { rangeKeys += r.kvs.count }
            }
        }
        sortedKeys = []
        if readsOnly {
            Report.figure("store.put", Double(keys) / putSeconds, "ops/s")
            Report.figure("store.get", Double(lookups) / getSeconds, "ops/s")
            Report.figure("store.range100", Double(rangeKeys) / rangeSeconds, "keys/s")
            Report.figure("memory.rss_bytes_per_key", Double(rssAfter - rssBefore) / Double(keys), "B")
            withExtendedLifetime(store) {}
            return
        }

        // Compare-and-swap transactions on existing keys.
        let txns = min(keys, 200_000)
        var succeeded = 0
        let txnSeconds = measure {
            for i in 0..<txns {
                let k = probeKeys[i % probeKeys.count]
                let request = TxnRequest(compare: [Compare(key: k, result: .greater, target: .version(0))],
                                         success: [.put(PutRequest(key: k, value: value))])
                if (try? store.txn(request))?.succeeded == true { succeeded += 1 }
            }
        }

        let snapshot = measureSnapshot(store)

        // Baseline: a Dictionary doing the same point operations.
        var dictionary: [[UInt8]: [UInt8]] = [:]
        let dictPutSeconds = measure {
            for i in 0..<keys { dictionary[key(i)] = value }
        }
        var dictFound = 0
        let dictGetSeconds = measure {
            for k in probeKeys where dictionary[k] != nil { dictFound += 1 }
        }
        precondition(dictFound == lookups)

        let putRate = Double(keys) / putSeconds
        let getRate = Double(lookups) / getSeconds
        let dictPutRate = Double(keys) / dictPutSeconds
        let dictGetRate = Double(lookups) / dictGetSeconds
        Report.figure("store.put", putRate, "ops/s")
        Report.figure("store.get", getRate, "ops/s")
        Report.figure("store.range100", Double(rangeKeys) / rangeSeconds, "keys/s")
        Report.figure("store.txn", Double(txns) / txnSeconds, "ops/s")
        Report.figure("baseline.dict.put", dictPutRate, "ops/s")
        Report.figure("baseline.dict.get", dictGetRate, "ops/s")
        Report.ratio("ratio.get_vs_dict", getRate / dictGetRate)
        Report.ratio("ratio.put_vs_dict", putRate / dictPutRate)
        Report.figure("memory.rss_bytes_per_key", Double(rssAfter - rssBefore) / Double(keys), "B")
        snapshot.report()
        Report.figure("memory.store_size_bytes_per_key", Double(store.sizeInBytes) / Double(keys), "B")
        withExtendedLifetime(store) {}
        withExtendedLifetime(dictionary) {}
        dictionary = [:]
    }

    /// Rates of one save, status and restore of the whole store.
    struct SnapshotFigures {
        var megabytes: Double
        var saveSeconds: Double
        var statusSeconds: Double
        var restoreSeconds: Double

        func report() {
            Report.figure("snapshot.size_mb", megabytes, "MB")
            Report.figure("snapshot.save_mb_per_s", megabytes / saveSeconds, "MB/s")
            Report.figure("snapshot.restore_mb_per_s", megabytes / restoreSeconds, "MB/s")
            Report.figure("snapshot.status_mb_per_s", megabytes / statusSeconds, "MB/s")
        }
    }

    /// Snapshots of the whole store: save into memory, inspect (status) and restore from it.
    func measureSnapshot(_ store: Store) -> SnapshotFigures {
        var snapshot: [UInt8] = []
        snapshot.reserveCapacity(store.sizeInBytes + (1 << 20))
        let saveSeconds = measure {
            _ = try? store.writeSnapshot(createdAt: 0, chunkSize: 1 << 20) { snapshot.append(contentsOf: $0) }
        }
        var inspected: SnapshotInfo? = nil
        let statusSeconds = measure { inspected = try? Store.inspectSnapshot(from: Self.source(snapshot)) }
        var restored: Store? = nil
        let restoreSeconds = measure { restored = try? Store.restore(from: Self.source(snapshot)) }
        precondition(inspected?.totalBytes == snapshot.count && restored?.revision == store.revision, "snapshot round trip")
        return SnapshotFigures(megabytes: Double(snapshot.count) / 1_000_000, saveSeconds: saveSeconds,
                               statusSeconds: statusSeconds, restoreSeconds: restoreSeconds)
    }

    /// `--only snapshot`: the snapshot figures alone, once per round, on a store filled as `run` fills it.
    private func runSnapshotOnly() {
        Report.note("snapshot benchmark: \(keys) keys of \(keySize) B, values of \(valueSize) B, \(rounds) round(s)")
        let value = [UInt8](repeating: 0x76, count: valueSize)
        let store = Store()
        for i in 0..<keys { _ = try? store.put(key(i), value) }
        // The same second versions as the transactions of `run` write: the first 200,000 probed keys.
        var rng = SplitMix(seed: seed)
        for _ in 0..<min(keys, 200_000) { _ = try? store.put(key(Int(rng.next() % UInt64(keys))), value) }
        for _ in 0..<rounds { measureSnapshot(store).report() }
    }

    /// Writes with 10,000 idle watchers against writes with none; fan-out to 1,000 watchers of one
    /// key; and 100,000 leases (one key each) expiring at once.
    func runWatchAndLease(value: [UInt8]) {
        // Both stores are built first, then written in alternating slices, so heap growth and
        // machine noise fall on both alike.
        let plain = Store()
        let watched = Store()
        var idle: [Watcher] = []
        for i in 0..<10_000 {
            let request = i % 2 == 0
                ? WatchRequest(key: Array("idle/key/\(i)".utf8))
                : WatchRequest(.prefix(Array("idle/prefix/\(i)/".utf8)))
            if let watcher = try? watched.watch(request, onReady: {}) { idle.append(watcher) }
        }
        var plainSeconds = 0.0
        var watchedSeconds = 0.0
        let slice = 10_000
        let slices = 20
        for round in 0..<slices {
            let base = (round * slice) % 50_000
            plainSeconds += measure { for i in 0..<slice { _ = try? plain.put(key(base + i), value) } }
            watchedSeconds += measure { for i in 0..<slice { _ = try? watched.put(key(base + i), value) } }
        }
        let withoutWatchers = Double(slice * slices) / plainSeconds
        let withWatchers = Double(slice * slices) / watchedSeconds
        Report.figure("watch.put_without_watchers", withoutWatchers, "ops/s")
        Report.figure("watch.put_with_10k_idle_watchers", withWatchers, "ops/s")
        Report.ratio("ratio.put_watchers_vs_none", withWatchers / withoutWatchers)
        idle = []

        // Fan-out: 1,000 watchers on one key, each drained after every write.
        let fanout = Store()
        let hot = Array("hot".utf8)
        let watchers = (0..<1000).compactMap { _ in try? fanout.watch(WatchRequest(key: hot), onReady: {}) }
        for w in watchers { _ = w.poll() }
        let rounds = 500
        var delivered = 0
        let fanoutSeconds = measure {
            for _ in 0..<rounds {
                _ = try? fanout.put(hot, value)
                for w in watchers { for r in w.poll() { delivered += r.events.count } }
            }
        }
        precondition(delivered == rounds * watchers.count, "every watcher gets every event")
        Report.figure("watch.events_delivered", Double(delivered) / fanoutSeconds, "events/s")

        // Lease expiry: 100,000 leases with one key each, all due at once.
        let clock = ManualClock()
        let leased = Store(configuration: StoreConfiguration(clock: clock))
        for i in 0..<100_000 {
            guard let lease = try? leased.grantLease(ttl: 10) else { continue }
            _ = try? leased.put(PutRequest(key: key(i), value: value, lease: lease.id))
        }
        clock.advance(seconds: 11)
        var expired = 0
        let expirySeconds = measure { expired = leased.expireLeases() }
        precondition(expired == 100_000 && leased.keyCount == 0)
        Report.figure("lease.expire_100k_seconds", expirySeconds, "s")
    }
}

extension StoreBenchmark {
    /// A snapshot source reading from memory in 1 MiB steps.
    static func source(_ bytes: [UInt8]) -> (UnsafeMutableRawBufferPointer) throws -> Int {
        var offset = 0
        return { buffer in
            let n = min(buffer.count, 1 << 20, bytes.count - offset)
            guard n > 0 else { return 0 }
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
            offset += n
            return n
        }
    }
}

struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state &+= SplitMix.increment
        return SplitMix.mix(state)
    }

    /// SplitMix64's finalizer: a well-mixed 64-bit value from any input.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
