import KVStore

/// Reads a log directory back at start: every segment in index order, every record checked and handed
/// to `apply` (which replays it onto the store loaded from the snapshot).
///
/// What a crash can leave is repaired, and said: a half-written record at the very end of the last
/// segment (a crash in the middle of a write, before its sync) is cut off; a last segment too short to
/// hold its header (a crash while it was being created) or holding no record is removed. Anything else
/// wrong refuses the start with the file and the offset: a bad record followed by good ones, a gap
/// between segments, a record the store cannot apply. Nothing is ever skipped silently.
public enum WALRecovery {
    public struct Outcome: Equatable, Sendable {
        /// The index of the last record (0 when the log is empty).
        public var lastIndex: UInt64 = 0
        /// Records read, and how many of them changed the store (the rest were already in the snapshot).
        public var records = 0
        public var applied = 0
        /// The segments kept, oldest first (file names).
        public var segments: [String] = []
        /// What was repaired, one line each (for the log).
        public var repairs: [String] = []
        /// The revision the store reached (given by the caller's `apply`; informational).
        public var bytes = 0
    }

    /// Recovers the log in `directory` (created when missing).
    /// - Parameter apply: replays one record; returns whether it changed anything, throws when it cannot
    ///   be applied (the log and the snapshot disagree).
    public static func recover(directory: String, storage: any WALStorage,
                               apply: (UInt64, JournalRecord) throws(JournalError) -> Bool) throws(WALError) -> Outcome {
        try storage.makeDirectory(directory)
        var outcome = Outcome()
        let segments = try storage.fileNames(in: directory)
            .compactMap { name in WALFormat.firstIndex(ofSegmentNamed: name).map { (name: name, first: $0) } }
            .sorted { $0.first < $1.first }
        var expected: UInt64? = nil
        for (position, segment) in segments.enumerated() {
            let path = directory + "/" + segment.name
            let isLast = position == segments.count - 1
            let bytes = try storage.contents(of: path)
            outcome.bytes += bytes.count
            let header: WALFormat.SegmentHeader
            switch WALFormat.SegmentHeader.decode(bytes[...]) {
            case .success(let decoded): header = decoded
            case .failure(let reason):
                if isLast && bytes.count < WALFormat.headerSize {
                    try storage.remove(path)
                    try storage.syncDirectory(directory)
                    outcome.repairs.append("removed \(path): \(reason.description) (a crash while it was being created)")
                    continue
                }
                throw WALError(.corrupt(offset: 0), path: path, reason: reason.description)
            }
            guard header.firstIndex == segment.first else {
                throw WALError(.inconsistent, path: path, reason: "the header says the first record is \(header.firstIndex), the name says \(segment.first)")
            }
            if let expected, header.firstIndex != expected {
                throw WALError(.inconsistent, path: path,
                               reason: header.firstIndex > expected
                                   ? "records \(expected)…\(header.firstIndex - 1) are missing (a segment was removed?)"
                                   : "the segment overlaps the previous one (its first record is \(header.firstIndex), \(expected) was expected)")
            }
            var next = header.firstIndex
            var offset = WALFormat.headerSize
            while offset < bytes.count {
                switch frame(in: bytes, at: offset, index: next) {
                case .valid(let payload, let end):
                    let record: JournalRecord
                    do {
                        record = try bytes.withUnsafeBytes { (all) throws(JournalError) in
                            try JournalRecord.decode(UnsafeRawBufferPointer(rebasing: all[payload]))
                        }
                    } catch {
                        throw WALError(.corrupt(offset: offset), path: path, reason: "record \(next): \(error)")
                    }
                    let changed: Bool
                    do { changed = try apply(next, record) } catch {
                        throw WALError(.inconsistent, path: path, reason: "record \(next) at byte \(offset) cannot be replayed: \(error.reason)")
                    }
                    outcome.records += 1
                    if changed { outcome.applied += 1 }
                    outcome.lastIndex = next
                    next += 1
                    offset = end
                case .wrongIndex(let found):
                    throw WALError(.corrupt(offset: offset), path: path, reason: "record \(found) where record \(next) was expected")
                case .bad(let reason):
                    let followed = validFrameExists(in: bytes, after: offset, index: next)
                    guard isLast && !followed else {
                        throw WALError(.corrupt(offset: offset), path: path,
                                       reason: "\(reason)\(followed ? "; good records follow it, so this is not a torn write at the end" : "")")
                    }
                    let file = try storage.openForAppending(path)
                    defer { file.close() }
                    try file.truncate(to: offset)
                    try file.sync()
                    outcome.repairs.append("cut \(bytes.count - offset) bytes off the end of \(path) at byte \(offset) (\(reason): a write torn by a crash, never acknowledged)")
                    offset = bytes.count
                }
            }
            expected = next
            if next == header.firstIndex && isLast {
                // No record: nothing to keep (the log continues in a new segment with this index).
                try storage.remove(path)
                try storage.syncDirectory(directory)
                continue
            }
            outcome.segments.append(segment.name)
        }
        if outcome.lastIndex == 0, let expected { outcome.lastIndex = expected - 1 }
        return outcome
    }

    enum Frame {
        case valid(payload: Range<Int>, end: Int)
        case wrongIndex(UInt64)
        case bad(String)
    }

    /// The frame at `offset`, checked.
    static func frame(in bytes: [UInt8], at offset: Int, index: UInt64) -> Frame {
        let remaining = bytes.count - offset
        guard remaining >= WALFormat.frameHeaderSize else {
            return .bad("the file ends inside a record header (\(remaining) of \(WALFormat.frameHeaderSize) bytes)")
        }
        let length = Int(WALFormat.load(UInt32.self, bytes, offset))
        guard length > 0, length <= WALFormat.maximumPayload else { return .bad("impossible record length \(length)") }
        let end = offset + WALFormat.frameHeaderSize + length
        guard end <= bytes.count else {
            return .bad("the file ends inside a record (\(bytes.count - offset) of \(WALFormat.frameHeaderSize + length) bytes)")
        }
        var crc = CRC32C()
        bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[(offset + 8)..<end])) }
        guard crc.value == WALFormat.load(UInt32.self, bytes, offset + 4) else { return .bad("checksum mismatch") }
        let found = WALFormat.load(UInt64.self, bytes, offset + 8)
        guard found == index else { return .wrongIndex(found) }
        return .valid(payload: (offset + WALFormat.frameHeaderSize)..<end, end: end)
    }

    /// Whether a good frame (this index or a later one) starts anywhere after `offset`: what tells a bad
    /// record in the middle of a log from a torn write at its end.
    static func validFrameExists(in bytes: [UInt8], after offset: Int, index: UInt64) -> Bool {
        var position = offset + 1
        while position + WALFormat.frameHeaderSize <= bytes.count {
            let found = WALFormat.load(UInt64.self, bytes, position + 8)
            if found >= index && found <= index + 1 {
                if case .valid = frame(in: bytes, at: position, index: found) { return true }
            }
            position += 1
        }
        return false
    }
}
