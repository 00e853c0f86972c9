/// Identifies a scheduled timer, for cancelling it. Unique per event loop.
public struct TimerID: Hashable, Sendable {
    public let rawValue: UInt64
}

/// Pending timers ordered by deadline: a binary min-heap with lazy cancellation.
///
/// Timers with equal deadlines fire in the order they were scheduled. Cancelling is O(1): the
/// entry stays in the heap and is skipped when it reaches the top; the heap is rebuilt when
/// cancelled entries outnumber live ones, so many cancelled far-future timers cannot pile up.
/// Not thread-safe: owned by one event loop and used only on its thread.
struct TimerQueue {
    struct Entry {
        /// Monotonic nanoseconds.
        var deadline: UInt64
        /// Scheduling order, to break ties between equal deadlines.
        var sequence: UInt64
        let id: UInt64
        /// 0 for a one-shot timer, otherwise the period in nanoseconds.
        let interval: UInt64
        let work: () -> Void

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    /// Ids of timers that are scheduled and not cancelled.
    private var live: Set<UInt64> = []
    private var nextSequence: UInt64 = 0

    var count: Int { live.count }

    mutating func schedule(id: UInt64, deadline: UInt64, interval: UInt64, work: @escaping () -> Void) {
        live.insert(id)
        push(Entry(deadline: deadline, sequence: 0, id: id, interval: interval, work: work))
    }

    /// Returns whether the timer was still pending (false if it already fired or was cancelled).
    @discardableResult
    mutating func cancel(id: UInt64) -> Bool {
        guard live.remove(id) != nil else { return false }
        if heap.count > 64 && heap.count > 2 * live.count { compact() }
        return true
    }

    /// The earliest live deadline, dropping cancelled entries found on top.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.first {
            if live.contains(top.id) { return top.deadline }
            _ = popTop()
        }
        return nil
    }

    /// Marks the timers scheduled so far; ``popDue(now:scheduledBefore:)`` with this mark skips
    /// timers scheduled later, so a timer that keeps scheduling zero-delay timers cannot keep
    /// one tick running forever.
    var mark: UInt64 { nextSequence }

    /// Removes and returns the earliest timer due at `now` and scheduled before `mark`, or nil.
    /// The caller runs its work (with no access to the queue in progress, so the work may
    /// schedule and cancel timers) and then passes it to ``rearm(_:now:)``.
    mutating func popDue(now: UInt64, scheduledBefore mark: UInt64) -> Entry? {
        guard let deadline = nextDeadline(), deadline <= now, heap[0].sequence < mark else { return nil }
        let entry = popTop()
        if entry.interval == 0 { live.remove(entry.id) }
        return entry
    }

    /// Re-arms a repeating timer one period after its deadline (or after `now` if it fell
    /// behind, so missed periods are not replayed) unless it was cancelled meanwhile.
    mutating func rearm(_ entry: Entry, now: UInt64) {
        guard entry.interval != 0, live.contains(entry.id) else { return }
        var entry = entry
        let next = entry.deadline &+ entry.interval
        entry.deadline = next > now ? next : now &+ entry.interval
        push(entry)
    }

    /// Runs every timer due at `now` in deadline order (for work that does not touch this
    /// queue; the event loop drives ``popDue(now:scheduledBefore:)`` itself). Returns how many ran.
    @discardableResult
    mutating func runDue(now: UInt64) -> Int {
        var ran = 0
        let mark = self.mark
        while let entry = popDue(now: now, scheduledBefore: mark) {
            entry.work()
            rearm(entry, now: now)
            ran += 1
        }
        return ran
    }

    mutating func removeAll() {
        heap.removeAll()
        live.removeAll()
    }

    // MARK: Heap

    private mutating func push(_ entry: Entry) {
        var entry = entry
        entry.sequence = nextSequence
        nextSequence &+= 1
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    private mutating func popTop() -> Entry {
        let last = heap.count - 1
        heap.swapAt(0, last)
        let top = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        return top
    }

    private mutating func compact() {
        heap.removeAll { !live.contains($0.id) }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right].precedes(heap[left]) ? right : left
            guard heap[smaller].precedes(heap[parent]) else { return }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}
