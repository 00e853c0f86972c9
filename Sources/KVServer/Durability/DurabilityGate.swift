import KVPosix
import KVSync
import KVWAL
import Synchronization

/// Keeps every reply from leaving before the log records it could reflect are durable (synced with
/// `--wal-sync always`, written with `interval`): a client never sees — as an acknowledgement, a read or a watch event — a state
/// that a crash could take back.
///
/// How: each connection's `ClientTransport`, when it finds new bytes in its output, notes the log's
/// `appendedIndex` at that moment; those bytes may leave once `durableIndex` reaches it (everything in
/// the output was produced before, so it can depend on nothing appended later). Earlier bytes are not
/// held by later ones, so a busy connection's replies flow one sync behind, never starved. A held
/// connection asks for no write readiness; when the log's writer thread makes records durable it wakes
/// the loops that wait (`LoopRelease`), which flush their held connections.
///
/// Reads are held only while writes are in flight, for at most one sync; with no writes nothing waits.
final class DurabilityGate: Sendable {
    let log: WriteAheadLog
    private let loops = Locked<[LoopRelease]>([])

    init(log: WriteAheadLog) {
        self.log = log
    }

    var appendedIndex: UInt64 { log.appendedIndex.load(ordering: .acquiring) }
    var durableIndex: UInt64 { log.durableIndex.load(ordering: .acquiring) }
    /// `durableIndex` read after a loop marked itself waiting: both sides of that handshake (the loop's
    /// mark then this read; the writer's store then its wake-up exchange) are sequentially consistent,
    /// so one of them always sees the other.
    var durableIndexAfterMarking: UInt64 { log.durableIndex.load(ordering: .sequentiallyConsistent) }

    func register(_ loop: LoopRelease) {
        loops.withLock { $0.append(loop) }
    }

    /// The log made records durable (its writer thread): wake every loop that waits.
    func recordsBecameDurable() {
        for loop in loops.withLock({ $0 }) { loop.wakeIfWaiting() }
    }
}

/// One event loop's side of the gate: whether it has connections waiting for the log, and how to wake it.
final class LoopRelease: Sendable {
    private let waiting = Atomic<Bool>(false)
    private let loop: EventLoop
    private let release: @Sendable () -> Void

    init(loop: EventLoop, release: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.release = release
    }

    /// Marks the loop as waiting (loop thread). The caller then checks the durable index itself, so a
    /// sync that completed just before this cannot be missed.
    func markWaiting() { waiting.store(true, ordering: .sequentiallyConsistent) }

    /// Runs the loop's release once if it was waiting (any thread).
    func wakeIfWaiting() {
        if waiting.exchange(false, ordering: .sequentiallyConsistent) { loop.execute(release) }
    }
}

/// A connection's output that waits for the log: byte ranges of its output stream, each with the log
/// index that must be durable before it leaves. Loop thread only (part of `ClientTransport`).
struct HeldOutput {
    /// Bytes sent on the connection so far, and the end of the output already looked at (both counted
    /// from the connection's first byte).
    var sent: UInt64 = 0
    var seen: UInt64 = 0
    /// Oldest first; contiguous ranges `start..<end`.
    private var holds: [(start: UInt64, end: UInt64, index: UInt64)] = []
    private var first = 0

    /// Notes output that now ends at `end` (sent + pending), holding what is new since the last look
    /// until `appended` is durable (when it is not already).
    mutating func observe(end: UInt64, appended: UInt64, durable: UInt64) {
        guard end > seen else { return }
        if appended > durable { holds.append((seen, end, appended)) }
        seen = end
    }

    /// How many of the pending bytes may leave now; drops the holds that `durable` released.
    mutating func sendable(pending: Int, durable: UInt64) -> Int {
        while first < holds.count && holds[first].index <= durable { first += 1 }
        if first == holds.count {
            holds.removeAll(keepingCapacity: true)
            first = 0
            return pending
        }
        if first > 32 {
            holds.removeFirst(first)
            first = 0
        }
        let start = holds[first].start
        return start > sent ? min(pending, Int(start - sent)) : 0
    }

    /// The index the oldest hold waits for, if any.
    var waitingFor: UInt64? { first < holds.count ? holds[first].index : nil }
}
