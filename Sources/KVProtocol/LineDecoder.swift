import KVStore

/// Incremental framing: cuts complete lines out of a `ByteBuffer` as bytes arrive.
///
/// Lines end with `\n`; a `\r` right before it is dropped too. A line longer than `maximumLineLength`
/// (not counting its terminator) is reported once as `.tooLong` — as soon as that many bytes are buffered,
/// without waiting for its end — and its bytes are then discarded up to and including the next `\n`, so
/// the buffer never holds more than about one maximum line. The result sequence does not depend on how
/// the input is split into chunks.
public struct LineDecoder: Sendable {
    /// etcd's default request limit (1.5 MiB) plus room for the command, options and quoting.
    public static let defaultMaximumLineLength = 1_572_864 + 65_536

    public enum Result: Hashable, Sendable {
        /// A complete line, without its terminator.
        case line([UInt8])
        /// A line exceeded the maximum; `tag` is its request tag when the line started with one. The
        /// rest of the line is skipped.
        case tooLong(tag: RequestTag?)
    }

    public let maximumLineLength: Int
    /// Readable bytes already searched for `\n` without success.
    private var scanned = 0
    /// Skipping the rest of an over-long line.
    public private(set) var isDiscarding = false

    /// - Parameter maximumLineLength: at least 1; at most `Int.max - 1`, so the checks past it cannot
    ///   overflow.
    public init(maximumLineLength: Int = LineDecoder.defaultMaximumLineLength) {
        self.maximumLineLength = min(max(1, maximumLineLength), Int.max - 1)
    }

    /// The next complete line (or over-long line) from `buffer`, consuming it; nil when more bytes are
    /// needed.
    public mutating func next(from buffer: inout ByteBuffer) -> Result? {
        while isDiscarding {
            if let newline = buffer.firstOffset(of: UInt8(ascii: "\n")) {
                buffer.moveReaderIndex(forwardBy: newline + 1)
                isDiscarding = false
                scanned = 0
            } else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return nil
            }
        }
        if let newline = buffer.firstOffset(of: UInt8(ascii: "\n"), from: scanned) {
            var length = newline
            if length > 0 && buffer.getByte(at: length - 1) == UInt8(ascii: "\r") { length -= 1 }
            scanned = 0
            if length > maximumLineLength {
                let tag = leadingTag(in: buffer)
                buffer.moveReaderIndex(forwardBy: newline + 1)
                return .tooLong(tag: tag)
            }
            let line = buffer.getBytes(at: 0, count: length) ?? []
            buffer.moveReaderIndex(forwardBy: newline + 1)
            return .line(line)
        }
        scanned = buffer.readableBytes
        // One byte of slack: a pending `\r` may still turn out to be part of the terminator.
        if buffer.readableBytes > maximumLineLength + 1 {
            let tag = leadingTag(in: buffer)
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            isDiscarding = true
            return .tooLong(tag: tag)
        }
        return nil
    }

    /// The error to answer a `.tooLong` line with: `TOO_LARGE`, reporting the line as one byte over the
    /// limit (its full size is not known when the limit is crossed).
    public var tooLongError: WireError {
        .store(.requestTooLarge(size: maximumLineLength + 1, limit: maximumLineLength))
    }

    private func leadingTag(in buffer: ByteBuffer) -> RequestTag? {
        let prefix = buffer.getBytes(at: 0, count: min(buffer.readableBytes, RequestTag.maximumLength + 2)) ?? []
        return RequestTag.leading(in: prefix)
    }
}
