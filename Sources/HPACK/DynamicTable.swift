/// HPACK's dynamic table (RFC 7541 §2.3.2, §4): a FIFO of header fields, newest first, bounded in size.
///
/// A ring buffer, so inserting and evicting are O(1) at any table size (no shifting of entries). Sizes are in the
/// octets the peer sent (not in the `String`s' UTF-8 counts, which differ if invalid UTF-8 was replaced), so our
/// accounting, and therefore eviction, always matches the peer's encoder.
struct DynamicTable: Sendable {
    struct Entry: Sendable, Equatable {
        var name: String
        var value: String
        /// The name's length in octets as sent.
        var nameOctetCount: Int
        /// RFC 7541 §4.1: name octets + value octets + 32.
        var size: Int
    }

    /// The maximum size, as last set by a dynamic table size update (or initially).
    private(set) var capacity: Int
    /// The sum of the entries' sizes; always <= `capacity`.
    private(set) var size = 0
    /// The number of entries.
    private(set) var count = 0

    /// Slots of the ring; its count is 0 or a power of two. Empty slots hold `vacant` (no allocation).
    private var ring: [Entry] = []
    /// The slot of the oldest entry.
    private var oldestSlot = 0

    private static let vacant = Entry(name: "", value: "", nameOctetCount: 0, size: 0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The entry at `position`, 0 being the newest (HPACK index 62). The caller checks `position < count`.
    subscript(position: Int) -> Entry {
        ring[(oldestSlot + count - 1 - position) & (ring.count - 1)]
    }

    /// Adds `entry` as the newest, first evicting the oldest entries until it fits (RFC 7541 §4.4). An entry larger
    /// than the capacity empties the table and is not added; that is not an error.
    mutating func insert(_ entry: Entry) {
        guard entry.size <= capacity else {
            removeAll()
            return
        }
        while size + entry.size > capacity { evictOldest() }
        if count == ring.count { grow() }
        ring[(oldestSlot + count) & (ring.count - 1)] = entry
        count += 1
        size += entry.size
    }

    /// Applies a dynamic table size update (RFC 7541 §4.3, §6.3): evicts until the entries fit `newCapacity`.
    mutating func setCapacity(_ newCapacity: Int) {
        capacity = newCapacity
        while size > capacity { evictOldest() }
        if count == 0 && ring.count > 16 {
            ring = []  // A table shrunk to nothing gives its memory back.
            oldestSlot = 0
        }
    }

    /// The entries, newest first (for tests and diagnostics).
    var entries: [Entry] { (0..<count).map { self[$0] } }

    private mutating func removeAll() {
        while count > 0 { evictOldest() }
    }

    private mutating func evictOldest() {
        size -= ring[oldestSlot].size
        ring[oldestSlot] = Self.vacant
        oldestSlot = (oldestSlot + 1) & (ring.count - 1)
        count -= 1
    }

    /// Doubles the ring, laying the entries out oldest first from slot 0. Amortized O(1) per insert; the ring never
    /// exceeds twice the most entries the table can hold (capacity / 32).
    private mutating func grow() {
        var larger = [Entry](repeating: Self.vacant, count: Swift.max(8, ring.count * 2))
        for offset in 0..<count {
            larger[offset] = ring[(oldestSlot + offset) & (ring.count - 1)]
        }
        ring = larger
        oldestSlot = 0
    }
}
