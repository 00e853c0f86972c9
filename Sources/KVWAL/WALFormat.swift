import KVStore

/// The bytes of the log's segment files (docs/WAL.md has the full description).
///
///     segment := header  frame*
///     header  := magic "KVSWAL\r\n"  version: u32 (1)  crc32c: u32 (of the other 24 header bytes)
///                first index: u64  start revision: i64          (32 bytes)
///     frame   := length: u32  crc32c: u32 (of index and payload)  index: u64  payload: length bytes
///
/// Integers are little-endian. A segment is named after its first record's index, 16 hex digits, then
/// `.wal`; the indexes of all segments together run 1, 2, 3… without a gap. The payload is a
/// `JournalRecord`.
public enum WALFormat {
    public static let magic: [UInt8] = Array("KVSWAL\r\n".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 32
    public static let frameHeaderSize = 16
    /// No record is longer (a corrupt length is seen as such, not allocated).
    public static let maximumPayload = 1 << 30
    public static let fileSuffix = ".wal"

    /// The file name of the segment whose first record is `index`.
    public static func segmentName(firstIndex: UInt64) -> String {
        let hex = String(firstIndex, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + fileSuffix
    }

    /// The first index a segment file name gives, or nil for any other name.
    public static func firstIndex(ofSegmentNamed name: String) -> UInt64? {
        guard name.hasSuffix(fileSuffix) else { return nil }
        let hex = name.dropLast(fileSuffix.count)
        guard hex.count == 16, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        return UInt64(hex, radix: 16)
    }

    /// A segment's header.
    public struct SegmentHeader: Equatable, Sendable {
        public var firstIndex: UInt64
        /// The store's revision when the segment was begun (for people reading the files).
        public var startRevision: Int64

        public init(firstIndex: UInt64, startRevision: Int64) {
            self.firstIndex = firstIndex
            self.startRevision = startRevision
        }

        public var encoded: [UInt8] {
            var bytes = magic
            append(version, to: &bytes)
            append(UInt32(0), to: &bytes)  // the checksum, below
            append(firstIndex, to: &bytes)
            append(UInt64(bitPattern: startRevision), to: &bytes)
            let crc = SegmentHeader.checksum(bytes)
            withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
            return bytes
        }

        static func checksum(_ header: [UInt8]) -> UInt32 {
            var crc = CRC32C()
            crc.update(header[0..<12])
            crc.update(header[16..<32])
            return crc.value
        }

        /// Decodes and checks a header; the reason when it is not one.
        public static func decode(_ bytes: ArraySlice<UInt8>) -> Result<SegmentHeader, HeaderProblem> {
            guard bytes.count >= headerSize else { return .failure(HeaderProblem("the file is shorter than a segment header (\(bytes.count) of \(headerSize) bytes)")) }
            let header = Array(bytes.prefix(headerSize))
            guard Array(header[0..<8]) == magic else { return .failure(HeaderProblem("not a kvserver log segment (bad magic)")) }
            let version = load(UInt32.self, header, 8)
            guard version == WALFormat.version else { return .failure(HeaderProblem("log format version \(version) is not supported (this kvserver reads version \(WALFormat.version))")) }
            guard load(UInt32.self, header, 12) == checksum(header) else { return .failure(HeaderProblem("the segment header's checksum does not match")) }
            return .success(SegmentHeader(firstIndex: load(UInt64.self, header, 16),
                                          startRevision: Int64(bitPattern: load(UInt64.self, header, 24))))
        }
    }

    /// Why bytes are not a segment header.
    public struct HeaderProblem: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Writes a frame's header (checksum left 0, see `sealFrames`) and the payload after it.
    static func appendFrame(index: UInt64, payload: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        append(UInt32(payload.count), to: &buffer)
        append(UInt32(0), to: &buffer)
        append(index, to: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// Fills in the checksum of every frame in `buffer` (whole frames, as `appendFrame` left them): done
    /// by the log's writer thread, so the store's lock is never held for it.
    static func sealFrames(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset + frameHeaderSize <= bytes.count {
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                var crc = CRC32C()
                crc.update(UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(offset + frameHeaderSize + length)]))
                bytes.storeBytes(of: crc.value.littleEndian, toByteOffset: offset + 4, as: UInt32.self)
                offset += frameHeaderSize + length
            }
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
