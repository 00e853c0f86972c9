/// The lease expiry schedule: a set of ids, each with a deadline in nanoseconds of `StoreClock` time,
/// ordered so that the earliest deadline is always at hand.
///
/// An indexed binary min-heap: an array heap plus a dictionary from id to heap position, so an id can be
/// found, moved or removed without searching.
///
/// Guarantees:
/// - Each id appears at most once.
/// - Entries come out earliest deadline first; entries with equal deadlines come out in the order they were
///   last inserted or updated (first in, first out), so expiry order is deterministic.
/// - Value semantics: copies are independent.
public struct ExpiryQueue<ID: Hashable & Sendable>: Sendable {
    private struct Entry: Sendable {
        var id: ID
        var deadline: UInt64
        /// Tie-breaker among equal deadlines: when this entry was last inserted or moved.
        var sequence: UInt64

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    /// A violated structural invariant, reported by `checkInvariants()`.
    struct InvariantViolation: Error, CustomStringConvertible {
        let description: String
    }

    private var heap: [Entry] = []
    private var positions: [ID: Int] = [:]
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// The number of ids scheduled.
    ///
    /// - Complexity: O(1).
    public var count: Int { heap.count }

    /// Whether no id is scheduled.
    ///
    /// - Complexity: O(1).
    public var isEmpty: Bool { heap.isEmpty }

    /// Whether `id` is scheduled.
    ///
    /// - Complexity: O(1) expected.
    public func contains(_ id: ID) -> Bool { positions[id] != nil }

    /// The deadline of `id`, or `nil` if it is not scheduled.
    ///
    /// - Complexity: O(1) expected.
    public func deadline(of id: ID) -> UInt64? {
        positions[id].map { heap[$0].deadline }
    }

    /// The entry with the earliest deadline, without removing it; `nil` when empty.
    ///
    /// - Complexity: O(1).
    public func peek() -> (id: ID, deadline: UInt64)? {
        heap.first.map { ($0.id, $0.deadline) }
    }

    /// Schedules `id` at `deadline` if it is not already scheduled.
    ///
    /// - Returns: `true` if inserted; `false` if `id` was already present, in which case nothing changes
    ///   (use `update` to move it).
    /// - Complexity: O(log n).
    @discardableResult
    public mutating func insert(_ id: ID, deadline: UInt64) -> Bool {
        guard positions[id] == nil else { return false }
        append(id, deadline: deadline)
        return true
    }

    /// Schedules `id` at `deadline`, moving it if it is already scheduled. A moved id ranks after every
    /// other entry with the same deadline, as if it had just been inserted.
    ///
    /// - Returns: the previous deadline, or `nil` if `id` was not scheduled.
    /// - Complexity: O(log n).
    @discardableResult
    public mutating func update(_ id: ID, deadline: UInt64) -> UInt64? {
        guard let position = positions[id] else {
            append(id, deadline: deadline)
            return nil
        }
        let previous = heap[position].deadline
        heap[position].deadline = deadline
        heap[position].sequence = takeSequence()
        // The new key may be smaller (sift up) or larger (sift down) than before; only one moves it.
        if !siftUp(from: position) { siftDown(from: position) }
        return previous
    }

    /// Unschedules `id`.
    ///
    /// - Returns: its deadline, or `nil` if it was not scheduled (then nothing changes).
    /// - Complexity: O(log n).
    @discardableResult
    public mutating func remove(_ id: ID) -> UInt64? {
        guard let position = positions[id] else { return nil }
        return removeEntry(at: position).deadline
    }

    /// Removes and returns the earliest entry, or `nil` when empty.
    ///
    /// - Complexity: O(log n).
    public mutating func popFirst() -> (id: ID, deadline: UInt64)? {
        guard !heap.isEmpty else { return nil }
        let entry = removeEntry(at: 0)
        return (entry.id, entry.deadline)
    }

    /// Removes and returns up to `limit` ids whose deadline is at or before `now`, earliest first.
    ///
    /// Bounding the batch lets the caller expire leases in slices without stalling other work; call again
    /// while it returns `limit` ids. A `limit` of zero or less returns nothing.
    ///
    /// - Complexity: O(k log n) for the k ids returned.
    public mutating func popExpired(now: UInt64, limit: Int = .max) -> [ID] {
        var expired: [ID] = []
        while expired.count < limit, let first = heap.first, first.deadline <= now {
            expired.append(removeEntry(at: 0).id)
        }
        return expired
    }

    /// Every scheduled entry in the order they would be popped (earliest deadline first, ties first in
    /// first out). For listings; the queue is unchanged.
    ///
    /// - Complexity: O(n log n).
    public func sortedEntries() -> [(id: ID, deadline: UInt64)] {
        heap.sorted { $0.precedes($1) }.map { ($0.id, $0.deadline) }
    }

    /// Unschedules everything.
    ///
    /// - Complexity: O(n).
    public mutating func removeAll() {
        heap.removeAll()
        positions.removeAll()
    }

    /// Checks the heap order and that the position index matches the heap exactly.
    ///
    /// - Complexity: O(n).
    func checkInvariants() throws(InvariantViolation) {
        guard positions.count == heap.count else {
            throw InvariantViolation(description: "\(positions.count) positions for \(heap.count) heap entries")
        }
        for (index, entry) in heap.enumerated() {
            guard positions[entry.id] == index else {
                throw InvariantViolation(description: "entry at \(index) indexed at \(String(describing: positions[entry.id]))")
            }
            if index > 0 {
                let parent = (index - 1) / 2
                guard !entry.precedes(heap[parent]) else {
                    throw InvariantViolation(description: "entry at \(index) precedes its parent at \(parent)")
                }
            }
        }
    }

    // MARK: - Heap mechanics

    private mutating func takeSequence() -> UInt64 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    private mutating func append(_ id: ID, deadline: UInt64) {
        heap.append(Entry(id: id, deadline: deadline, sequence: takeSequence()))
        positions[id] = heap.count - 1
        siftUp(from: heap.count - 1)
    }

    /// Removes the entry at `position`, filling the hole with the last entry and restoring the order.
    private mutating func removeEntry(at position: Int) -> Entry {
        let removed = heap[position]
        positions[removed.id] = nil
        let last = heap.removeLast()
        if position < heap.count {
            heap[position] = last
            positions[last.id] = position
            if !siftUp(from: position) { siftDown(from: position) }
        }
        return removed
    }

    /// Moves the entry at `position` towards the root while it precedes its parent.
    /// - Returns: whether it moved.
    @discardableResult
    private mutating func siftUp(from position: Int) -> Bool {
        var child = position
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            positions[heap[child].id] = child
            child = parent
        }
        guard child != position else { return false }
        heap[child] = entry
        positions[entry.id] = child
        return true
    }

    /// Moves the entry at `position` towards the leaves while a child precedes it.
    private mutating func siftDown(from position: Int) {
        var parent = position
        let entry = heap[parent]
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right].precedes(heap[left]) ? right : left
            guard heap[smaller].precedes(entry) else { break }
            heap[parent] = heap[smaller]
            positions[heap[parent].id] = parent
            parent = smaller
        }
        guard parent != position else { return }
        heap[parent] = entry
        positions[entry.id] = parent
    }
}
