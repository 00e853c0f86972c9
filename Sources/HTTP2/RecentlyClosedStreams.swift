/// A bounded memory of the last streams that closed, so frames arriving for them can be told apart
/// from frames on streams that never existed (RFC 9113 §5.1, §5.4.2):
///
/// - after we reset a stream, frames the peer sent before it saw our RST_STREAM are ignored (their DATA
///   still counts against the connection window, which is returned);
/// - a HEADERS on a stream that closed normally is STREAM_CLOSED, one on a lower id never used is
///   PROTOCOL_ERROR (§5.1.1).
///
/// Fixed capacity (a ring), so a peer cannot grow it; an entry that aged out is treated as never used.
struct RecentlyClosedStreams {
    static let capacity = 128

    private var ids: [UInt32]
    private var resetByUs: [Bool]
    private var next = 0

    init() {
        ids = Array(repeating: 0, count: Self.capacity)
        resetByUs = Array(repeating: false, count: Self.capacity)
    }

    mutating func insert(_ id: UInt32, resetByUs reset: Bool) {
        ids[next] = id
        resetByUs[next] = reset
        next = (next + 1) % Self.capacity
    }

    enum Lookup { case unknown, closed, resetByUs }

    func lookup(_ id: UInt32) -> Lookup {
        // Stream 0 is never stored, and unused slots hold 0.
        guard id != 0, let index = ids.firstIndex(of: id) else { return .unknown }
        return resetByUs[index] ? .resetByUs : .closed
    }
}
