/// Reads a bbolt database held in memory, trusting nothing in it: every page number is checked against
/// the page count, every count and offset against its page's bytes, every page may be reached once,
/// keys must ascend within their bounds, and trees are at most `maximumDepth` deep. A damaged file is
/// refused with a `BoltError` naming the page; nothing it says sizes an allocation beyond the file's
/// own size.
///
/// Meta selection follows bbolt: the page size comes from meta page 0 when it is valid (4096 otherwise),
/// and of the two meta pages the valid one with the higher transaction ID wins.
struct BoltReader {
    /// A bucket's location: a root page, or (inline) a page image inside its parent's value.
    enum BucketRoot: Equatable {
        case page(UInt64)
        case inline(offset: Int, count: Int)
    }

    let file: UnsafeRawBufferPointer
    let meta: BoltMeta
    var pageSize: Int { meta.pageSize }

    static let maximumDepth = 64

    /// - Parameter file: the database's bytes; they must outlive the reader.
    init(_ file: UnsafeRawBufferPointer) throws(BoltError) {
        self.file = file
        guard file.count >= BoltFormat.pageHeaderSize + BoltFormat.metaSize else {
            throw .invalidMeta("the file is \(file.count) bytes, too short for a meta page")
        }
        let first = BoltMeta.read(file, pageAt: 0)
        var pageSize = BoltFormat.defaultPageSize
        if case .success(let meta) = first { pageSize = meta.pageSize }
        guard pageSize >= 512, pageSize <= 1 << 16, pageSize & (pageSize - 1) == 0 else {
            throw .invalidMeta("unsupported page size \(pageSize)")
        }
        guard file.count >= 2 * pageSize else { throw .truncated(fileBytes: file.count, neededBytes: 2 * pageSize) }
        let second = BoltMeta.read(file, pageAt: pageSize)
        var candidates: [BoltMeta] = []
        for result in [first, second] { if case .success(let meta) = result { candidates.append(meta) } }
        // Higher txid first; on a tie meta 0 (bbolt takes meta 1 only when its txid is higher).
        candidates.sort { $0.txid > $1.txid }
        var failure: BoltError? = nil
        var chosen: BoltMeta? = nil
        for candidate in candidates {
            // A meta that names another page size, or more pages than exist, is not usable.
            guard candidate.pageSize == pageSize else {
                failure = .invalidMeta("meta pages disagree on the page size (\(candidate.pageSize) vs \(pageSize))")
                continue
            }
            guard candidate.pageCount >= 3, candidate.pageCount <= UInt64(Int.max / pageSize) else {
                failure = .invalidMeta("impossible page count \(candidate.pageCount)")
                continue
            }
            chosen = candidate
            break
        }
        guard let chosen else {
            if let failure { throw failure }
            if case .failure(let error) = first { throw error }
            throw .invalidMeta("no valid meta page")
        }
        let needed = Int(chosen.pageCount) * pageSize
        guard file.count >= needed else { throw .truncated(fileBytes: file.count, neededBytes: needed) }
        guard chosen.root >= 2, chosen.root < chosen.pageCount else {
            throw .corrupt(page: chosen.root, reason: "the root bucket page is outside the database (\(chosen.pageCount) pages)")
        }
        guard chosen.freelist == BoltFormat.noFreelist || (chosen.freelist >= 2 && chosen.freelist < chosen.pageCount) else {
            throw .corrupt(page: chosen.freelist, reason: "the freelist page is outside the database (\(chosen.pageCount) pages)")
        }
        meta = chosen
    }

    /// The byte range of page `id` with its overflow pages, after checking its header.
    func page(_ id: UInt64, expecting flags: UInt16) throws(BoltError) -> Range<Int> {
        guard id >= 2, id < meta.pageCount else { throw .corrupt(page: id, reason: "page number out of range (\(meta.pageCount) pages)") }
        let start = Int(id) * pageSize
        let header = UnsafeRawBufferPointer(rebasing: file[start..<(start + BoltFormat.pageHeaderSize)])
        guard header.u64(0) == id else { throw .corrupt(page: id, reason: "its header says page \(header.u64(0))") }
        let pageFlags = header.u16(8)
        guard pageFlags & flags != 0 else {
            throw .corrupt(page: id, reason: "page type 0x\(String(pageFlags, radix: 16)) where 0x\(String(flags, radix: 16)) was expected")
        }
        let overflow = UInt64(header.u32(12))
        guard id + overflow < meta.pageCount else { throw .corrupt(page: id, reason: "its \(overflow) overflow pages run past the database") }
        return start..<(start + (Int(overflow) + 1) * pageSize)
    }

    /// The top-level buckets: name and root, in the root bucket's key order.
    func buckets() throws(BoltError) -> [(name: [UInt8], root: BucketRoot)] {
        var result: [(name: [UInt8], root: BucketRoot)] = []
        var visited = PageSet(count: meta.pageCount)
        try forEach(in: .page(meta.root), pages: &visited) { key, value, flags, page throws(BoltError) in
            guard flags & BoltFormat.bucketLeafFlag != 0 else {
                throw .corrupt(page: page, reason: "the root bucket holds a plain key, not a bucket")
            }
            result.append((Array(key), try bucketRoot(value, page: page)))
        }
        return result
    }

    /// Decodes a bucket value (a sub-bucket's header, and its page when inline).
    func bucketRoot(_ value: UnsafeRawBufferPointer, page: UInt64) throws(BoltError) -> BucketRoot {
        guard value.count >= BoltFormat.bucketHeaderSize else { throw .corrupt(page: page, reason: "a bucket value of \(value.count) bytes") }
        let root = value.u64(0)
        if root != 0 { return .page(root) }
        guard value.count >= BoltFormat.bucketHeaderSize + BoltFormat.pageHeaderSize else {
            throw .corrupt(page: page, reason: "an inline bucket without its page")
        }
        let offset = value.baseAddress! - file.baseAddress! + BoltFormat.bucketHeaderSize
        return .inline(offset: offset, count: value.count - BoltFormat.bucketHeaderSize)
    }

    /// Calls `body` with every entry of the bucket, in key order: key, value, element flags (bit 0: a
    /// sub-bucket) and the page holding it. Pages reached are recorded in `pages`; a page reached
    /// twice (here or in an earlier walk sharing `pages`) is corruption, as bbolt's check says.
    func forEach(in root: BucketRoot, pages: inout PageSet,
                 _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UInt32, UInt64) throws(BoltError) -> Void) throws(BoltError) {
        var previous: UnsafeRawBufferPointer? = nil
        switch root {
        case .page(let id):
            try walk(id, depth: 0, lower: nil, upper: nil, pages: &pages, previous: &previous, body)
        case .inline(let offset, let count):
            let bytes = UnsafeRawBufferPointer(rebasing: file[offset..<(offset + count)])
            guard bytes.u16(8) & BoltFormat.leafPage != 0 else { throw .corrupt(page: 0, reason: "an inline bucket whose page is not a leaf") }
            try leaf(bytes, id: 0, lower: nil, upper: nil, previous: &previous, body)
        }
    }

    private func walk(_ id: UInt64, depth: Int, lower: UnsafeRawBufferPointer?, upper: UnsafeRawBufferPointer?,
                      pages: inout PageSet, previous: inout UnsafeRawBufferPointer?,
                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UInt32, UInt64) throws(BoltError) -> Void) throws(BoltError) {
        guard depth < BoltReader.maximumDepth else { throw .corrupt(page: id, reason: "the tree is deeper than \(BoltReader.maximumDepth) levels") }
        let range = try page(id, expecting: BoltFormat.branchPage | BoltFormat.leafPage)
        for p in id...(id + UInt64(range.count / pageSize) - 1) {
            guard pages.insert(p) else { throw .corrupt(page: p, reason: "reached twice (multiple references)") }
        }
        let bytes = UnsafeRawBufferPointer(rebasing: file[range])
        if bytes.u16(8) & BoltFormat.leafPage != 0 {
            try leaf(bytes, id: id, lower: lower, upper: upper, previous: &previous, body)
            return
        }
        let count = Int(bytes.u16(10))
        guard count > 0 else { throw .corrupt(page: id, reason: "a branch page with no elements") }
        let elements = try elementsEnd(bytes, count: count, id: id)
        var keys: [UnsafeRawBufferPointer] = []
        keys.reserveCapacity(count)
        for i in 0..<count {
            let element = BoltFormat.pageHeaderSize + i * BoltFormat.elementSize
            keys.append(try slice(bytes, element: element, pos: bytes.u32(element), size: Int(bytes.u32(element + 4)), after: elements, id: id))
        }
        for i in 0..<count {
            let key = keys[i]
            if i > 0, KeyBytes.compare(keys[i - 1], key) >= 0 { throw .corrupt(page: id, reason: "branch keys out of order at element \(i)") }
            if let upper, KeyBytes.compare(key, upper) >= 0 { throw .corrupt(page: id, reason: "branch key \(i) beyond its parent's bound") }
            let element = BoltFormat.pageHeaderSize + i * BoltFormat.elementSize
            let childLower = i == 0 ? lower ?? key : key
            if i == 0, let lower, KeyBytes.compare(key, lower) < 0 { throw .corrupt(page: id, reason: "branch key 0 below its parent's bound") }
            try walk(bytes.u64(element + 8), depth: depth + 1, lower: childLower, upper: i + 1 < count ? keys[i + 1] : upper,
                     pages: &pages, previous: &previous, body)
        }
    }

    private func leaf(_ bytes: UnsafeRawBufferPointer, id: UInt64, lower: UnsafeRawBufferPointer?, upper: UnsafeRawBufferPointer?,
                      previous: inout UnsafeRawBufferPointer?,
                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UInt32, UInt64) throws(BoltError) -> Void) throws(BoltError) {
        let count = Int(bytes.u16(10))
        let elements = try elementsEnd(bytes, count: count, id: id)
        for i in 0..<count {
            let element = BoltFormat.pageHeaderSize + i * BoltFormat.elementSize
            let flags = bytes.u32(element)
            guard flags & ~BoltFormat.bucketLeafFlag == 0 else { throw .corrupt(page: id, reason: "unknown element flags 0x\(String(flags, radix: 16))") }
            let keySize = Int(bytes.u32(element + 8))
            let valueSize = Int(bytes.u32(element + 12))
            let both = try slice(bytes, element: element, pos: bytes.u32(element + 4), size: keySize + valueSize, after: elements, id: id)
            let key = UnsafeRawBufferPointer(rebasing: both[..<keySize])
            let value = UnsafeRawBufferPointer(rebasing: both[keySize...])
            if let previous, KeyBytes.compare(previous, key) >= 0 { throw .corrupt(page: id, reason: "keys out of order at element \(i)") }
            if i == 0, let lower, KeyBytes.compare(key, lower) < 0 { throw .corrupt(page: id, reason: "key below its parent's bound") }
            if let upper, KeyBytes.compare(key, upper) >= 0 { throw .corrupt(page: id, reason: "key beyond its parent's bound") }
            previous = key
            try body(key, value, flags, id)
        }
    }

    /// Where the element array ends, after checking it fits.
    private func elementsEnd(_ bytes: UnsafeRawBufferPointer, count: Int, id: UInt64) throws(BoltError) -> Int {
        let end = BoltFormat.pageHeaderSize + count * BoltFormat.elementSize
        guard end <= bytes.count else { throw .corrupt(page: id, reason: "\(count) elements do not fit in \(bytes.count) bytes") }
        return end
    }

    /// The `size` bytes `pos` bytes after the element at `element`, which must lie after the elements and in the page.
    private func slice(_ bytes: UnsafeRawBufferPointer, element: Int, pos: UInt32, size: Int, after elements: Int,
                       id: UInt64) throws(BoltError) -> UnsafeRawBufferPointer {
        let start = element + Int(pos)
        guard start >= elements, size >= 0, size <= bytes.count - start else {
            throw .corrupt(page: id, reason: "element at byte \(element) points outside its page")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + size)])
    }

    // MARK: Consistency

    /// The free pages the freelist names, checked: each in range, none twice. With no freelist written
    /// (`noFreelist`), nil: bbolt then treats every unreached page as free.
    func freePages() throws(BoltError) -> [UInt64]? {
        guard meta.freelist != BoltFormat.noFreelist else { return nil }
        let range = try page(meta.freelist, expecting: BoltFormat.freelistPage)
        let bytes = UnsafeRawBufferPointer(rebasing: file[range])
        var count = Int(bytes.u16(10))
        var first = BoltFormat.pageHeaderSize
        if count == 0xFFFF {
            let stored = bytes.u64(BoltFormat.pageHeaderSize)
            guard stored <= UInt64(bytes.count / 8) else { throw .corrupt(page: meta.freelist, reason: "freelist count \(stored) overflows its page") }
            count = Int(stored)
            first += 8
        }
        guard first + count * 8 <= bytes.count else { throw .corrupt(page: meta.freelist, reason: "\(count) free pages do not fit in the freelist page") }
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for i in 0..<count {
            let id = bytes.u64(first + 8 * i)
            guard id >= 2, id < meta.pageCount else { throw .corrupt(page: meta.freelist, reason: "free page \(id) is out of range") }
            ids.append(id)
        }
        ids.sort()
        for i in ids.indices.dropFirst() where ids[i] == ids[i - 1] {
            throw .corrupt(page: ids[i], reason: "freed twice")
        }
        return ids
    }

    /// bbolt's `tx.Check` (which `etcdctl snapshot status` runs): every page of every bucket reachable
    /// once, no reachable page free, and every page below the page count either reachable or free.
    /// Also checks every entry's bounds and order (reading every leaf).
    func check() throws(BoltError) {
        var reached = PageSet(count: meta.pageCount)
        _ = reached.insert(0)
        _ = reached.insert(1)
        let free = try freePages()
        if meta.freelist != BoltFormat.noFreelist {
            let range = try page(meta.freelist, expecting: BoltFormat.freelistPage)
            for p in meta.freelist..<(meta.freelist + UInt64(range.count / pageSize)) { _ = reached.insert(p) }
        }
        try checkBucket(.page(meta.root), reached: &reached, depth: 0)
        guard let free else { return }
        for id in free where reached.contains(id) { throw .corrupt(page: id, reason: "reachable and freed") }
        var freeSet = PageSet(count: meta.pageCount)
        for id in free { _ = freeSet.insert(id) }
        for id in 0..<meta.pageCount where !reached.contains(id) && !freeSet.contains(id) {
            throw .corrupt(page: id, reason: "unreachable and not freed")
        }
    }

    private func checkBucket(_ root: BucketRoot, reached: inout PageSet, depth: Int) throws(BoltError) {
        guard depth < BoltReader.maximumDepth else { throw .corrupt(page: 0, reason: "buckets nested deeper than \(BoltReader.maximumDepth)") }
        var children: [BucketRoot] = []
        try forEach(in: root, pages: &reached) { _, value, flags, page throws(BoltError) in
            if flags & BoltFormat.bucketLeafFlag != 0 { children.append(try bucketRoot(value, page: page)) }
        }
        for child in children { try checkBucket(child, reached: &reached, depth: depth + 1) }
    }
}

/// A set of page numbers below a bound, as a bitmap (the bound is the database's page count, which the
/// reader has checked against the file's size, so the bitmap is at most 1/8 of a page per page).
struct PageSet {
    private var words: [UInt64]
    private let count: UInt64

    init(count: UInt64) {
        self.count = count
        words = [UInt64](repeating: 0, count: Int((count + 63) / 64))
    }

    /// Adds `id`; false when it was already there (or is out of range).
    mutating func insert(_ id: UInt64) -> Bool {
        guard id < count else { return false }
        let (word, bit) = (Int(id / 64), id % 64)
        let mask: UInt64 = 1 << bit
        if words[word] & mask != 0 { return false }
        words[word] |= mask
        return true
    }

    func contains(_ id: UInt64) -> Bool {
        id < count && words[Int(id / 64)] & (1 << (id % 64)) != 0
    }
}
