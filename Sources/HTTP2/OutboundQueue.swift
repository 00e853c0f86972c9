import HPACK

/// What the app queued on one stream and flow control has not let out yet, in order: DATA chunks and
/// header lists (trailers queue BEHIND pending data, so they can never overtake it).
///
/// A head index instead of removing from the front keeps every operation O(1); the array is reset
/// when it empties, which for a request/response stream is after every reply.
struct OutboundQueue {
    enum Item {
        case data([UInt8], endStream: Bool)
        case headers([HeaderField], endStream: Bool)
        case encodedHeaders(HPACKEncodedBlock, endStream: Bool)
    }

    private var items: [Item] = []
    private var head = 0
    /// Octets of the head DATA item already framed.
    private(set) var headOffset = 0
    /// DATA octets queued and not framed (what `queuedBytes(streamID:)` reports).
    private(set) var dataBytes = 0

    var isEmpty: Bool { head == items.count }

    var first: Item? { head < items.count ? items[head] : nil }

    mutating func append(_ item: Item) {
        if case .data(let bytes, _) = item { dataBytes += bytes.count }
        items.append(item)
    }

    /// Marks `count` more octets of the head DATA item as framed.
    mutating func advanceData(by count: Int) {
        headOffset += count
        dataBytes -= count
    }

    /// Drops the head item (whatever of it was not framed no longer counts).
    mutating func removeFirst() {
        if case .data(let bytes, _) = items[head] { dataBytes -= bytes.count - headOffset }
        headOffset = 0
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
