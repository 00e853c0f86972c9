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

    /// Visits the entries of `range` in key order as runs of consecutive entries (`keys[i]` goes with
    /// `histories[i]`), until `body` returns false. The buffers are valid only during the call.
    func forEachRun(in range: KeyRange,
                    _ body: (UnsafeBufferPointer<IndexKey>, UnsafeBufferPointer<KeyHistory>) -> Bool) {
        switch range {
        case .single(let key):
            key.withUnsafeBytes { bytes in
                guard var entry = entry(bytes) else { return }
                withUnsafePointer(to: &entry.key) { k in
                    withUnsafePointer(to: &entry.value) { h in
                        _ = body(UnsafeBufferPointer(start: k, count: 1), UnsafeBufferPointer(start: h, count: 1))
                    }
                }
            }
        case .fromKey(let start):
            start.withUnsafeBytes { bytes in
                let probe = KeyProbe(bytes)
                tree.forEachRun(from: { probe.compare($0) }) { node, run in
                    node.keys.withUnsafeBufferPointer { keys in
                        node.values.withUnsafeBufferPointer { histories in
                            body(UnsafeBufferPointer(rebasing: keys[run]), UnsafeBufferPointer(rebasing: histories[run]))
                        }
                    }
                }
            }
        case .halfOpen(let start, let end):
            start.withUnsafeBytes { startBytes in
                end.withUnsafeBytes { endBytes in
                    let probe = KeyProbe(startBytes)
                    let endProbe = KeyProbe(endBytes)
                    tree.forEachRun(from: { probe.compare($0) }) { node, run in
                        node.keys.withUnsafeBufferPointer { keys in
                            node.values.withUnsafeBufferPointer { histories in
                                // Entries below the end: compared by their inline prefixes first.
                                var stop = run.lowerBound
                                while stop < run.upperBound, endProbe.compare(keys[stop]) < 0 { stop += 1 }
                                if stop > run.lowerBound {
                                    let part = run.lowerBound..<stop
                                    if !body(UnsafeBufferPointer(rebasing: keys[part]),
                                             UnsafeBufferPointer(rebasing: histories[part])) { return false }
                                }
                                return stop == run.upperBound
                            }
                        }
                    }
                }
            }
        }
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
