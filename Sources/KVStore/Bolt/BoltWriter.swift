/// Writes a bbolt database holding a set of top-level buckets, as one freshly committed transaction,
/// front to back: the file can be streamed (a `Maintenance.Snapshot` reply) without seeking back.
///
/// The layout is planned first (`plan()`, one pass measuring every entry: O(entries), no encoding),
/// because the meta pages at the front name the root page and the page count, which depend on
/// everything after them. Then `nextPages` encodes a few pages per call:
///
///     page 0, 1      meta (identical, txid 1; both valid, so either may be damaged)
///     page 2         freelist: empty (every page is in use)
///     pages 3…       per bucket not stored inline, in name order: its leaves in key order, then each
///                    level of branch pages above them, the bucket's root last
///     last pages     the root bucket's leaf: one element per bucket, small buckets inline
///
/// Leaves are filled up to a page; an entry larger than a page gets a leaf of its own with overflow
/// pages. A bucket whose single leaf fits in a quarter page is stored inline, as bbolt would.
/// Every page below the page count is reachable exactly once, so bbolt's consistency check
/// (`tx.Check`, which `etcdctl snapshot status` runs) finds nothing to report.
final class BoltWriter {
    struct Node {
        /// The first entry (a leaf) or the first child in the level below (a branch).
        var first: Int
        var count: Int
        var bytes: Int
        var pages = 0
        var pageID: UInt64 = 0
        var firstKey: [UInt8] = []
    }

    struct BucketPlan {
        let name: [UInt8]
        let entries: any BoltEntries
        /// levels[0] are the leaves; the last level holds the bucket's root alone.
        var levels: [[Node]] = []
        /// The bucket's value in the root bucket: a header, plus the leaf page when inline.
        var value: [UInt8] = []
        var isInline: Bool { value.count > BoltFormat.bucketHeaderSize }
    }

    let pageSize: Int
    let txid: UInt64
    private(set) var buckets: [BucketPlan]
    private var root: BucketPlan
    private(set) var pageCount: UInt64 = 0
    private var planned = false
    /// Where `nextPages` is: a stage, and within the buckets' stage a bucket, level and node.
    private enum Stage { case meta, buckets, root, done }
    private var stage = Stage.meta
    private var bucketIndex = 0
    private var levelIndex = 0
    private var nodeIndex = 0

    /// - Parameter buckets: names strictly ascending, not empty; each entry list sorted as
    ///   `BoltEntries` requires.
    init(buckets: [(name: [UInt8], entries: any BoltEntries)], pageSize: Int = BoltFormat.defaultPageSize, txid: UInt64 = 1) {
        precondition(pageSize >= 1024 && pageSize & (pageSize - 1) == 0, "page size must be a power of two ≥ 1024")
        precondition(zip(buckets, buckets.dropFirst()).allSatisfy { $0.name.lexicographicallyPrecedes($1.name) }, "bucket names must ascend")
        self.pageSize = pageSize
        self.txid = txid
        self.buckets = buckets.map { BucketPlan(name: $0.name, entries: $0.entries) }
        root = BucketPlan(name: [], entries: BoltArrayEntries([]))
    }

    /// The file's size, known once planned.
    var totalBytes: Int {
        plan()
        return Int(pageCount) * pageSize
    }

    var isFinished: Bool { stage == .done }

    /// Measures every entry and assigns every page. Idempotent.
    /// - Complexity: O(entries), calling `keySize` and `valueSize` once each, `writeKey` once per page.
    func plan() {
        guard !planned else { return }
        planned = true
        var next: UInt64 = 3
        for b in buckets.indices {
            var plan = buckets[b]
            plan.levels = [leaves(of: plan.entries)]
            let leaf = plan.levels[0][0]
            if plan.levels[0].count == 1, leaf.bytes <= BoltFormat.maxInlineBucketSize(pageSize: pageSize) {
                var value = [UInt8](repeating: 0, count: BoltFormat.bucketHeaderSize + leaf.bytes)
                value.withUnsafeMutableBytes { writeLeaf(leaf, of: plan.entries, pageID: 0, to: $0.baseAddress! + BoltFormat.bucketHeaderSize) }
                plan.value = value
            } else {
                while plan.levels.last!.count > 1 { plan.levels.append(branches(over: plan.levels.last!)) }
                for level in plan.levels.indices {
                    for n in plan.levels[level].indices {
                        plan.levels[level][n].pageID = next
                        next += UInt64(plan.levels[level][n].pages)
                    }
                }
                var value = [UInt8](repeating: 0, count: BoltFormat.bucketHeaderSize)
                value.withUnsafeMutableBytes { $0.baseAddress!.put64(plan.levels.last![0].pageID, at: 0) }
                plan.value = value
            }
            buckets[b] = plan
        }
        root = BucketPlan(name: [], entries: BoltArrayEntries(buckets.map { ($0.name, $0.value) }))
        // The root bucket is one leaf, overflowing if the inline buckets need more than a page.
        let entries = root.entries
        var leaf = Node(first: 0, count: entries.count, bytes: BoltFormat.pageHeaderSize)
        for i in 0..<entries.count { leaf.bytes += BoltFormat.elementSize + entries.keySize(i) + entries.valueSize(i) }
        leaf.pages = pages(leaf.bytes)
        leaf.pageID = next
        next += UInt64(leaf.pages)
        root.levels = [[leaf]]
        pageCount = next
    }

    private func pages(_ bytes: Int) -> Int { (bytes + pageSize - 1) / pageSize }

    private func leaves(of entries: any BoltEntries) -> [Node] {
        var nodes: [Node] = []
        var node = Node(first: 0, count: 0, bytes: BoltFormat.pageHeaderSize)
        for i in 0..<entries.count {
            let size = BoltFormat.elementSize + entries.keySize(i) + entries.valueSize(i)
            if node.count > 0, node.bytes + size > pageSize || node.count == Int(UInt16.max) {
                nodes.append(node)
                node = Node(first: i, count: 0, bytes: BoltFormat.pageHeaderSize)
            }
            node.count += 1
            node.bytes += size
        }
        nodes.append(node)
        for n in nodes.indices {
            nodes[n].pages = pages(nodes[n].bytes)
            if nodes[n].count > 0 { nodes[n].firstKey = entries.key(nodes[n].first) }
        }
        return nodes
    }

    private func branches(over children: [Node]) -> [Node] {
        var nodes: [Node] = []
        var node = Node(first: 0, count: 0, bytes: BoltFormat.pageHeaderSize)
        for (i, child) in children.enumerated() {
            let size = BoltFormat.elementSize + child.firstKey.count
            // At least two children per branch, so every level shrinks.
            if node.count > 1, node.bytes + size > pageSize || node.count == Int(UInt16.max) {
                nodes.append(node)
                node = Node(first: i, count: 0, bytes: BoltFormat.pageHeaderSize)
            }
            if node.count == 0 { node.firstKey = child.firstKey }
            node.count += 1
            node.bytes += size
        }
        nodes.append(node)
        for n in nodes.indices { nodes[n].pages = pages(nodes[n].bytes) }
        return nodes
    }

    // MARK: Writing

    /// Appends the next pages to `output`: whole nodes, at least one, until about `maxBytes` were added.
    /// - Returns: false once every page has been written (nothing appended then).
    @discardableResult
    func nextPages(into output: inout [UInt8], maxBytes: Int = 1 << 16) -> Bool {
        plan()
        guard stage != .done else { return false }
        let start = output.count
        repeat { writeNextNode(into: &output) } while stage != .done && output.count - start < maxBytes
        return true
    }

    /// Writes the whole file to `sink` in chunks of about `chunkSize` bytes.
    func writeAll(chunkSize: Int = 1 << 20, to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkSize + pageSize)
        while nextPages(into: &chunk, maxBytes: chunkSize) {
            try chunk.withUnsafeBytes { try sink($0) }
            chunk.removeAll(keepingCapacity: true)
        }
    }

    /// Appends `pages` zeroed pages and lets `body` fill them.
    private func appendPages(_ count: Int, to output: inout [UInt8], _ body: (UnsafeMutableRawPointer) -> Void) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: count * pageSize))
        output.withUnsafeMutableBytes { body($0.baseAddress! + start) }
    }

    private func writeNextNode(into output: inout [UInt8]) {
        switch stage {
        case .meta:
            let meta = BoltMeta(pageSize: pageSize, root: root.levels[0][0].pageID, freelist: 2, pageCount: pageCount, txid: txid)
            appendPages(3, to: &output) { pages in
                meta.write(id: 0, to: pages)
                meta.write(id: 1, to: pages + pageSize)
                let freelist = pages + 2 * pageSize
                freelist.put64(2, at: 0)
                freelist.put16(BoltFormat.freelistPage, at: 8)
            }
            stage = .buckets
            skipInlineBuckets()
        case .buckets:
            let plan = buckets[bucketIndex]
            let node = plan.levels[levelIndex][nodeIndex]
            if levelIndex == 0 {
                appendPages(node.pages, to: &output) { writeLeaf(node, of: plan.entries, pageID: node.pageID, to: $0) }
            } else {
                let children = plan.levels[levelIndex - 1]
                appendPages(node.pages, to: &output) { writeBranch(node, children: children, to: $0) }
            }
            nodeIndex += 1
            if nodeIndex == plan.levels[levelIndex].count {
                nodeIndex = 0
                levelIndex += 1
                if levelIndex == plan.levels.count {
                    levelIndex = 0
                    bucketIndex += 1
                    skipInlineBuckets()
                }
            }
        case .root:
            let leaf = root.levels[0][0]
            appendPages(leaf.pages, to: &output) { writeLeaf(leaf, of: root.entries, pageID: leaf.pageID, flags: BoltFormat.bucketLeafFlag, to: $0) }
            stage = .done
        case .done:
            break
        }
    }

    private func skipInlineBuckets() {
        while bucketIndex < buckets.count, buckets[bucketIndex].isInline { bucketIndex += 1 }
        if bucketIndex == buckets.count { stage = .root }
    }

    /// A leaf page (or an inline bucket's page): header, elements, then each entry's key and value.
    private func writeLeaf(_ node: Node, of entries: any BoltEntries, pageID: UInt64, flags: UInt32 = 0, to page: UnsafeMutableRawPointer) {
        page.put64(pageID, at: 0)
        page.put16(BoltFormat.leafPage, at: 8)
        page.put16(UInt16(node.count), at: 10)
        page.put32(UInt32(max(0, node.pages - 1)), at: 12)
        var data = BoltFormat.pageHeaderSize + node.count * BoltFormat.elementSize
        for i in 0..<node.count {
            let entry = node.first + i
            let element = BoltFormat.pageHeaderSize + i * BoltFormat.elementSize
            let keySize = entries.keySize(entry)
            let valueSize = entries.valueSize(entry)
            page.put32(flags, at: element)
            page.put32(UInt32(data - element), at: element + 4)
            page.put32(UInt32(keySize), at: element + 8)
            page.put32(UInt32(valueSize), at: element + 12)
            entries.writeKey(entry, to: page + data)
            entries.writeValue(entry, to: page + data + keySize)
            data += keySize + valueSize
        }
    }

    private func writeBranch(_ node: Node, children: [Node], to page: UnsafeMutableRawPointer) {
        page.put64(node.pageID, at: 0)
        page.put16(BoltFormat.branchPage, at: 8)
        page.put16(UInt16(node.count), at: 10)
        page.put32(UInt32(node.pages - 1), at: 12)
        var data = BoltFormat.pageHeaderSize + node.count * BoltFormat.elementSize
        for i in 0..<node.count {
            let child = children[node.first + i]
            let element = BoltFormat.pageHeaderSize + i * BoltFormat.elementSize
            page.put32(UInt32(data - element), at: element)
            page.put32(UInt32(child.firstKey.count), at: element + 4)
            page.put64(child.pageID, at: element + 8)
            child.firstKey.withUnsafeBytes { if let base = $0.baseAddress { (page + data).copyMemory(from: base, byteCount: $0.count) } }
            data += child.firstKey.count
        }
    }
}
