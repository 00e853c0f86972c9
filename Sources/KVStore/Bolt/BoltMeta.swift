/// A bbolt meta page's contents: where the root bucket and the freelist are, how many pages the
/// database spans (`pageCount`, bbolt's "pgid" high-water mark) and the transaction that wrote it.
struct BoltMeta: Equatable {
    var pageSize: Int
    var flags: UInt32 = 0
    var root: UInt64
    var sequence: UInt64 = 0
    var freelist: UInt64
    var pageCount: UInt64
    var txid: UInt64

    /// Writes the meta page `id` (0 or 1): page header, fields and checksum, into `page` (one page).
    func write(id: UInt64, to page: UnsafeMutableRawPointer) {
        page.put64(id, at: 0)
        page.put16(BoltFormat.metaPage, at: 8)
        page.put16(0, at: 10)
        page.put32(0, at: 12)
        let meta = page + BoltFormat.pageHeaderSize
        meta.put32(BoltFormat.magic, at: 0)
        meta.put32(BoltFormat.version, at: 4)
        meta.put32(UInt32(pageSize), at: 8)
        meta.put32(flags, at: 12)
        meta.put64(root, at: 16)
        meta.put64(sequence, at: 24)
        meta.put64(freelist, at: 32)
        meta.put64(pageCount, at: 40)
        meta.put64(txid, at: 48)
        let sum = BoltFormat.fnv64a(UnsafeRawBufferPointer(start: meta, count: BoltFormat.metaChecksumOffset))
        meta.put64(sum, at: BoltFormat.metaChecksumOffset)
    }

    /// Reads and validates the meta at `offset` (the start of its page) as bbolt does: magic, version,
    /// and the checksum unless it is zero (bbolt accepts a zero checksum).
    static func read(_ file: UnsafeRawBufferPointer, pageAt offset: Int) -> Result<BoltMeta, BoltError> {
        let start = offset + BoltFormat.pageHeaderSize
        guard offset >= 0, start + BoltFormat.metaSize <= file.count else {
            return .failure(.invalidMeta("the file ends before the meta page at byte \(offset)"))
        }
        guard file.u32(start) == BoltFormat.magic else { return .failure(.invalidMeta("bad magic number")) }
        let version = file.u32(start + 4)
        guard version == BoltFormat.version else { return .failure(.invalidMeta("unsupported version \(version)")) }
        let stored = file.u64(start + BoltFormat.metaChecksumOffset)
        let sum = BoltFormat.fnv64a(UnsafeRawBufferPointer(rebasing: file[start..<(start + BoltFormat.metaChecksumOffset)]))
        guard stored == 0 || stored == sum else { return .failure(.invalidMeta("meta checksum mismatch")) }
        return .success(BoltMeta(pageSize: Int(file.u32(start + 8)), flags: file.u32(start + 12), root: file.u64(start + 16),
                                 sequence: file.u64(start + 24), freelist: file.u64(start + 32),
                                 pageCount: file.u64(start + 40), txid: file.u64(start + 48)))
    }
}
