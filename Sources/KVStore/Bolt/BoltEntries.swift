/// One bucket's contents as `BoltWriter` takes them: `count` entries in strictly ascending key order
/// (bytewise), each measured before it is encoded, then encoded straight into the page being written.
/// Entries are addressed by index because the writer goes over them twice (measuring, then writing).
protocol BoltEntries {
    var count: Int { get }
    func keySize(_ index: Int) -> Int
    func valueSize(_ index: Int) -> Int
    /// Writes entry `index`'s key (exactly `keySize(index)` bytes) at `destination`.
    func writeKey(_ index: Int, to destination: UnsafeMutableRawPointer)
    /// Writes entry `index`'s value (exactly `valueSize(index)` bytes) at `destination`.
    func writeValue(_ index: Int, to destination: UnsafeMutableRawPointer)
}

extension BoltEntries {
    func key(_ index: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: keySize(index)) { buffer, count in
            if let base = buffer.baseAddress { writeKey(index, to: UnsafeMutableRawPointer(base)) }
            count = buffer.count
        }
    }
}

/// Entries held as byte arrays (tests, and the small buckets: meta, auth, members...).
struct BoltArrayEntries: BoltEntries {
    var entries: [(key: [UInt8], value: [UInt8])]

    /// Sorts by key; a repeated key keeps its last value.
    init(_ entries: [(key: [UInt8], value: [UInt8])]) {
        var sorted: [(key: [UInt8], value: [UInt8])] = []
        for entry in entries.enumerated().sorted(by: { a, b in
            a.element.key.lexicographicallyPrecedes(b.element.key) || (a.element.key == b.element.key && a.offset < b.offset)
        }).map(\.element) {
            if sorted.last?.key == entry.key { sorted[sorted.count - 1] = entry } else { sorted.append(entry) }
        }
        self.entries = sorted
    }

    var count: Int { entries.count }
    func keySize(_ index: Int) -> Int { entries[index].key.count }
    func valueSize(_ index: Int) -> Int { entries[index].value.count }
    func writeKey(_ index: Int, to destination: UnsafeMutableRawPointer) {
        entries[index].key.withUnsafeBytes { if let base = $0.baseAddress { destination.copyMemory(from: base, byteCount: $0.count) } }
    }
    func writeValue(_ index: Int, to destination: UnsafeMutableRawPointer) {
        entries[index].value.withUnsafeBytes { if let base = $0.baseAddress { destination.copyMemory(from: base, byteCount: $0.count) } }
    }
}
