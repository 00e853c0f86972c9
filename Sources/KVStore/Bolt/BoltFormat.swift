/// bbolt's on-disk format, as etcd's backend database uses it (bbolt 1.3, file format version 2).
///
/// A file is an array of pages of `pageSize` bytes; page N starts at byte `N * pageSize`. Every page
/// starts with a 16-byte header (little-endian, as bbolt writes on every platform etcd runs on):
///
///     id: u64   flags: u16   count: u16   overflow: u32
///
/// `overflow` more pages follow a page whose contents do not fit in one (a large value, a big leaf).
///
///     page 0, 1   meta pages: two copies of the database root, the valid one with the higher txid wins
///     freelist    the pages free for reuse (or none: etcd 3.4 on Linux writes pgidNoFreelist and
///                 readers rebuild it as "every page no bucket reaches")
///     branch      count elements {pos: u32, ksize: u32, pgid: u64}, keys after the elements; element i
///                 leads to the subtree whose keys are ≥ key i and < key i+1
///     leaf        count elements {flags: u32, pos: u32, ksize: u32, vsize: u32}, then key and value
///                 bytes; `pos` counts from the element's own first byte; flag 1 marks a sub-bucket
///
/// A bucket's value is a 16-byte header {root: u64, sequence: u64}; root 0 means an *inline* bucket,
/// whose single leaf page (header and elements) follows the header inside the value itself.
enum BoltFormat {
    static let magic: UInt32 = 0xED0C_DAED
    static let version: UInt32 = 2
    static let pageHeaderSize = 16
    static let elementSize = 16
    static let bucketHeaderSize = 16
    /// meta: magic, version, page size, flags (4 × u32), root bucket (root, sequence), freelist, pgid,
    /// txid (5 × u64), then the checksum: FNV-64a of the 56 bytes before it.
    static let metaSize = 64
    static let metaChecksumOffset = 56

    static let branchPage: UInt16 = 0x01
    static let leafPage: UInt16 = 0x02
    static let metaPage: UInt16 = 0x04
    static let freelistPage: UInt16 = 0x10
    static let bucketLeafFlag: UInt32 = 0x01

    /// The freelist page id meaning "the freelist was not written" (bbolt's NoFreelistSync).
    static let noFreelist = UInt64.max
    /// The page size bbolt uses (the OS page size) when the first meta page cannot tell.
    static let defaultPageSize = 4096
    /// A bucket whose leaf fits in a quarter page is stored inline in its parent (bbolt's rule).
    static func maxInlineBucketSize(pageSize: Int) -> Int { pageSize / 4 }

    /// FNV-1a, 64 bits: the meta page checksum.
    static func fnv64a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Why a bbolt file could not be read. Each case names the page (and the element) at fault, so a
/// damaged backup is told apart from one that is not a bbolt file at all.
public enum BoltError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Neither meta page is valid (bad magic, version or checksum): not a bbolt file, or both copies damaged.
    case invalidMeta(String)
    /// The file is shorter than the pages its meta page promises.
    case truncated(fileBytes: Int, neededBytes: Int)
    /// A page or element contradicts the format (a page out of range, of the wrong type, referenced
    /// twice, elements overlapping their page's end, keys out of order...).
    case corrupt(page: UInt64, reason: String)

    public var description: String {
        switch self {
        case .invalidMeta(let reason):
            "bbolt: invalid database (\(reason))"
        case .truncated(let fileBytes, let neededBytes):
            "bbolt: file is truncated (\(fileBytes) bytes, its meta page needs \(neededBytes))"
        case .corrupt(let page, let reason):
            "bbolt: corrupt page \(page): \(reason)"
        }
    }
}

/// Little-endian field access on raw bytes, bounds checked by the callers.
extension UnsafeRawBufferPointer {
    @inline(__always) func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    @inline(__always) func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    @inline(__always) func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func put16(_ value: UInt16, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
    @inline(__always) func put32(_ value: UInt32, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always) func put64(_ value: UInt64, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
}
