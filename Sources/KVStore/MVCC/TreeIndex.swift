import CKVStore

/// The ordered index of every key and its retained history: a copy-on-write B-tree, so copying it is
/// an O(1) read view of one moment.
struct TreeIndex {
    typealias Tree = BTree<IndexKey, KeyHistory>

    private(set) var tree: Tree

    init(nodeCapacity: Int) {
        tree = Tree(nodeCapacity: nodeCapacity)
    }

    /// An index built in O(n) from entries in strictly ascending key order.
    init(sortedKeys keys: [IndexKey], histories: [KeyHistory], nodeCapacity: Int) {
        tree = Tree(sortedKeys: keys, values: histories, nodeCapacity: nodeCapacity)
    }

    /// An index of the entries given to `builder`, in O(n) (snapshot restore streams them in).
    init(_ builder: consuming Tree.Builder) {
        tree = builder.finish()
    }

    /// How many keys the index holds (including keys whose latest record is a tombstone).
    var count: Int { tree.count }

    /// The entry for `key`.
    @inline(__always)
    func entry(_ key: UnsafeRawBufferPointer) -> (key: IndexKey, value: KeyHistory)? {
        let probe = KeyProbe(key)
        return tree.find { probe.compare($0) }
    }

    /// Visits the entries of `range` in key order until `body` returns false.
    func forEach(in range: KeyRange, _ body: (IndexKey, KeyHistory) -> Bool) {
        switch range {
        case .single(let key):
            key.withUnsafeBytes { bytes in
                if let entry = entry(bytes) { _ = body(entry.key, entry.value) }
            }
        case .fromKey(let start):
            start.withUnsafeBytes { bytes in
                let probe = KeyProbe(bytes)
                tree.forEach(from: { probe.compare($0) }, body)
            }
        case .halfOpen(let start, let end):
            start.withUnsafeBytes { startBytes in
                end.withUnsafeBytes { endBytes in
                    let probe = KeyProbe(startBytes)
                    let endProbe = KeyProbe(endBytes)
                    tree.forEach(from: { probe.compare($0) }) { key, history in
                        guard endProbe.compare(key) < 0 else { return false }
                        return body(key, history)
                    }
                }
            }
        }
    }

    /// Visits the entries from `start` on in key order until `body` returns false, prefetching the
    /// records of the entries a few places ahead (for walks over the whole index, like a snapshot).
    func forEachPrefetching(from start: UnsafeRawBufferPointer, _ body: (IndexKey, KeyHistory) -> Bool) {
        let probe = KeyProbe(start)
        let latestOffset = MemoryLayout<IndexKey>.offset(of: \IndexKey.latest)!
        tree.forEach(from: { probe.compare($0) }, ahead: { key in
            // The record's address without retaining it: the retain would wait for the very miss
            // the prefetch is meant to hide.
            let record = UnsafeRawPointer(key).load(fromByteOffset: latestOffset, as: UnsafeRawPointer.self)
            ckv_prefetch(record)
            ckv_prefetch(record + 64)
            ckv_prefetch(record + 128)
        }, body)
    }

    /// Finds `key` and lets `body` replace, create or remove its entry in one search.
    @inline(__always)
    mutating func modify<R>(_ key: UnsafeRawBufferPointer,
                            _ body: (inout (key: IndexKey, value: KeyHistory)?) -> R) -> R {
        let probe = KeyProbe(key)
        return tree.modify({ probe.compare($0) }, placeholder: [], body)
    }

    func invariantViolations() -> [String] {
        tree.invariantViolations { a, b in
            a.prefix != b.prefix ? a.prefix < b.prefix : b.latest.withKeyBytes { a.latest.compareKey(to: $0) < 0 }
        }
    }
}
