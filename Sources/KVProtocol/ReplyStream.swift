import KVStore

/// One reply line produced in bounded steps, for replies that may be large: a range read, a transaction
/// (which may hold many reads) or a delete returning its previous key-values.
///
/// The line is the same as `ReplyEncoder` writes for the collected response. The server calls
/// `produce` whenever its output buffer has room and between turns serves other clients, so a reply of
/// gigabytes costs at most the output limit plus one step in memory, and no client waits for the whole
/// of another's reply to be built. Range reads are walked from their cursors' views (see `RangeCursor`);
/// nothing else is copied.
///
/// Not thread-safe: one connection drives it.
public final class ReplyStream {
    private enum Piece {
        /// `[@tag ]OK <header>`
        case begin(RequestTag?, ResponseHeader)
        /// ` succeeded= responses=` of a transaction.
        case txnFields(succeeded: Bool, responses: Int)
        /// ` RANGE|PUT|DEL|TXN <header>` starting a transaction's response item.
        case item(StaticString, ResponseHeader)
        /// ` count= more= kvs=` once planned, then the key-values.
        case range(RangeCursor)
        case put(PutResponse)
        /// ` deleted= prev=`
        case deleteFields(deleted: Int64, prev: Int)
        /// ` KV …` items.
        case kvs([KeyValue])
        case end
    }

    private var pieces: [Piece] = []
    private var index = 0
    /// Position within the current `.kvs` piece; whether the current `.range` piece wrote its counts.
    private var kvIndex = 0
    private var rangeFieldsWritten = false

    /// The reply to a range read.
    public init(range cursor: RangeCursor, tag: RequestTag?) {
        pieces = [.begin(tag, cursor.header), .range(cursor), .end]
    }

    /// Writes the whole reply to a range read at once when it is small: when planning finishes within
    /// `maxKeys` entries and the result holds at most `maxKeys` key-values. Otherwise writes nothing and
    /// returns false; the cursor keeps its progress, for a `ReplyStream(range:tag:)` to go on from.
    public static func writeIfSmall(range cursor: RangeCursor, tag: RequestTag?, maxKeys: Int,
                                    into buffer: inout ByteBuffer) -> Bool {
        guard cursor.plan(maxKeys: maxKeys), cursor.kvsCount <= maxKeys else { return false }
        ReplyEncoder.begin(tag, cursor.header, into: &buffer)
        buffer.writeField("count", cursor.count)
        buffer.writeField("more", cursor.more)
        buffer.writeField("kvs", Int64(cursor.kvsCount))
        let done = cursor.emit(maxKeys: maxKeys) { kv in
            ReplyEncoder.writeKV(kv, into: &buffer)
            return true
        }
        precondition(done, "a planned result of at most maxKeys key-values was emitted in one step")
        buffer.writeByte(UInt8(ascii: "\n"))
        return true
    }

    /// The reply to a transaction.
    public init(txn response: DeferredTxnResponse, tag: RequestTag?) {
        pieces.append(.begin(tag, response.header))
        append(response)
        pieces.append(.end)
    }

    /// The reply to a delete (its previous key-values may be many).
    public init(delete response: DeleteRangeResponse, tag: RequestTag?) {
        pieces = [.begin(tag, response.header), .deleteFields(deleted: response.deleted, prev: response.prevKVs.count),
                  .kvs(response.prevKVs), .end]
    }

    private func append(_ txn: DeferredTxnResponse) {
        pieces.append(.txnFields(succeeded: txn.succeeded, responses: txn.responses.count))
        for response in txn.responses {
            switch response {
            case .range(let cursor):
                pieces.append(.item(" RANGE", cursor.header))
                pieces.append(.range(cursor))
            case .put(let put):
                pieces.append(.item(" PUT", put.header))
                pieces.append(.put(put))
            case .deleteRange(let delete):
                pieces.append(.item(" DEL", delete.header))
                pieces.append(.deleteFields(deleted: delete.deleted, prev: delete.prevKVs.count))
                if !delete.prevKVs.isEmpty { pieces.append(.kvs(delete.prevKVs)) }
            case .txn(let inner):
                pieces.append(.item(" TXN", inner.header))
                append(inner)
            }
        }
    }

    public var isFinished: Bool { index == pieces.count }

    /// Appends the next part of the line: stops after about `maxBytes` bytes or `maxKeys` keys walked or
    /// written, whichever comes first. True once the whole line (its `\n` included) is written.
    public func produce(into buffer: inout ByteBuffer, maxKeys: Int, maxBytes: Int) -> Bool {
        let start = buffer.readableBytes
        var keys = 0
        while index < pieces.count {
            if keys >= maxKeys || buffer.readableBytes - start >= maxBytes { return false }
            switch pieces[index] {
            case .begin(let tag, let header):
                ReplyEncoder.begin(tag, header, into: &buffer)
            case .txnFields(let succeeded, let responses):
                buffer.writeField("succeeded", succeeded)
                buffer.writeField("responses", Int64(responses))
            case .item(let keyword, let header):
                buffer.writeASCII(keyword)
                ReplyEncoder.writeHeader(header, into: &buffer)
            case .put(let put):
                ReplyEncoder.writeBody(put, into: &buffer)
            case .deleteFields(let deleted, let prev):
                buffer.writeField("deleted", deleted)
                buffer.writeField("prev", Int64(prev))
            case .end:
                buffer.writeByte(UInt8(ascii: "\n"))
            case .kvs(let kvs):
                while kvIndex < kvs.count {
                    ReplyEncoder.writeKV(kvs[kvIndex], into: &buffer)
                    kvIndex += 1
                    keys += 1
                    if keys >= maxKeys || buffer.readableBytes - start >= maxBytes { break }
                }
                if kvIndex < kvs.count { return false }
                kvIndex = 0
            case .range(let cursor):
                if !cursor.isPlanned {
                    let before = cursor.entriesVisited
                    let planned = cursor.plan(maxKeys: maxKeys - keys)
                    keys += cursor.entriesVisited - before
                    if !planned { return false }
                }
                if !rangeFieldsWritten {
                    buffer.writeField("count", cursor.count)
                    buffer.writeField("more", cursor.more)
                    buffer.writeField("kvs", Int64(cursor.kvsCount))
                    rangeFieldsWritten = true
                }
                let before = cursor.entriesVisited
                let done = cursor.emit(maxKeys: max(1, maxKeys - keys)) { kv in
                    ReplyEncoder.writeKV(kv, into: &buffer)
                    return buffer.readableBytes - start < maxBytes
                }
                keys += max(1, cursor.entriesVisited - before)
                if !done { return false }
                rangeFieldsWritten = false
            }
            index += 1
        }
        return true
    }
}
