/// Cuts a gRPC request stream's DATA bytes into messages: each is a 5-byte prefix (a compressed flag
/// and a 4-byte big-endian length) and that many bytes of protobuf. Messages may be split across DATA
/// frames and several may share one.
///
/// Bounded: a message announced larger than `maxMessageBytes` is refused as soon as its prefix is read,
/// before its bytes are buffered (grpc-go's `RESOURCE_EXHAUSTED` text), so the buffer never holds more
/// than one message plus one DATA frame.
struct GRPCMessageReader {
    enum Failure: Error, Equatable {
        /// The compressed flag is set: no compression is negotiated here (grpc-go answers UNIMPLEMENTED).
        case compressed
        /// The message is larger than the limit: (announced, limit).
        case tooLarge(Int, Int)
        /// The flag byte is neither 0 nor 1.
        case badFlag(UInt8)

        /// The gRPC status code and message a client is answered with.
        var status: (code: Int, message: String) {
            switch self {
            case .compressed:
                (12, "grpc: Decompressor is not installed for grpc-encoding \"identity\"")
            case .tooLarge(let size, let limit):
                (8, "grpc: received message larger than max (\(size) vs. \(limit))")
            case .badFlag(let flag):
                (13, "grpc: received unexpected payload format \(flag)")
            }
        }
    }

    let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received and not yet part of a returned message.
    var bufferedBytes: Int { buffer.count - readIndex }

    /// Appends DATA bytes.
    mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, nil when more bytes are needed.
    mutating func next() throws(Failure) -> ArraySlice<UInt8>? {
        let available = buffer.count - readIndex
        guard available >= 5 else { return nil }
        let flag = buffer[readIndex]
        guard flag == 0 else { throw flag == 1 ? .compressed : .badFlag(flag) }
        var length = 0
        for offset in 1...4 { length = length << 8 | Int(buffer[readIndex + offset]) }
        guard length <= maxMessageBytes else { throw .tooLarge(length, maxMessageBytes) }
        guard available >= 5 + length else {
            if readIndex > 0 && readIndex >= buffer.count / 2 {
                buffer.removeSubrange(0..<readIndex)
                readIndex = 0
            }
            return nil
        }
        let start = readIndex + 5
        readIndex = start + length
        return buffer[start..<readIndex]
    }

    /// Appends the 5-byte prefix of an uncompressed message of `length` bytes.
    static func writePrefix(length: Int, into output: inout [UInt8]) {
        output.append(0)
        output.append(UInt8(truncatingIfNeeded: length >> 24))
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
    }
}
