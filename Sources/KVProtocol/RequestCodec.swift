import KVStore

/// Client side: typed requests → request lines.
public enum RequestEncoder {
    /// Appends `[@tag ]<command>\n` to `buffer`.
    public static func encode(_ request: Request, tag: RequestTag? = nil, into buffer: inout ByteBuffer) {
        buffer.writeTag(tag)
        CommandTable.encode(request, into: &buffer)
        buffer.writeByte(UInt8(ascii: "\n"))
    }

    /// The request line, terminator included.
    public static func encode(_ request: Request, tag: RequestTag? = nil) -> [UInt8] {
        var buffer = ByteBuffer()
        encode(request, tag: tag, into: &buffer)
        return buffer.readAll()
    }
}

/// Server side: request lines → typed requests.
public enum RequestDecoder {
    /// Decodes one line (without its terminator). Returns nil for a blank line, which servers ignore.
    /// A failure carries the line's tag when one could be read, so the error reply can carry it too.
    /// - Parameter maxTxnOps: the server's `--max-txn-ops` (default: no operation limit). A `TXN` is
    ///   refused as it is parsed, before its nesting is followed, when etcd's rule with this limit
    ///   refuses a nested transaction (`TOO_MANY_OPS`), and whatever the limit when transactions nest
    ///   more than `TxnLimits.maximumNestingDepth` levels inside it (`ARGS`).
    public static func decode(_ line: [UInt8], maxTxnOps: Int = .max) throws(RequestDecodingError) -> RequestLine? {
        if let plain = PlainRequestDecoder.decode(line) { return plain }
        return try decodeTokenized(line, maxTxnOps: maxTxnOps)
    }

    /// The general decoder: tokenizes the line and looks the verb up in the command table.
    static func decodeTokenized(_ line: [UInt8], maxTxnOps: Int = .max) throws(RequestDecodingError) -> RequestLine? {
        let tokens: [Token]
        do {
            tokens = try Tokenizer.tokenize(line)
        } catch {
            throw RequestDecodingError(tag: RequestTag.leading(in: line), error: .protocolViolation(error.description))
        }
        guard let first = tokens.first else { return nil }
        var tag: RequestTag?
        var verbIndex = 0
        if !first.isQuoted && first.bytes.first == UInt8(ascii: "@") {
            guard let valid = RequestTag(bytes: first.bytes.dropFirst()) else {
                throw RequestDecodingError(tag: nil, error: .protocolViolation(
                    "invalid tag \(first.description): 1 to 32 characters of A-Z a-z 0-9 _ . -"))
            }
            tag = valid
            verbIndex = 1
        }
        guard verbIndex < tokens.count else {
            throw RequestDecodingError(tag: tag, error: .protocolViolation("missing command after tag"))
        }
        do {
            let request = try CommandTable.decode(verb: tokens[verbIndex], arguments: tokens[(verbIndex + 1)...],
                                                  maxTxnOps: maxTxnOps)
            return RequestLine(tag: tag, request)
        } catch {
            throw RequestDecodingError(tag: tag, error: error)
        }
    }

    /// Convenience for tests and tools.
    public static func decode(_ line: String, maxTxnOps: Int = .max) throws(RequestDecodingError) -> RequestLine? {
        try decode(Array(line.utf8), maxTxnOps: maxTxnOps)
    }
}
