import Dispatch
import Synchronization

/// Where long jobs run, off the event loops: HASH, COMPACT, auto-compaction and lease expiry. The loops
/// hand a job over and go on serving clients; a job that answers a client posts its result back to that
/// client's loop (`EventLoop.execute`).
///
/// One serial queue: jobs run one at a time, in the order they were submitted, so two compactions never
/// race and a hash never competes with a compaction for the second core. A periodic job (lease expiry,
/// auto-compaction) is submitted only when its previous run has finished (`submit(through:)`), so a
/// slow store cannot make such jobs pile up.
final class Worker: Sendable {
    private let queue = DispatchQueue(label: "kv-worker")

    func submit(_ job: @Sendable @escaping () -> Void) {
        queue.async(execute: job)
    }

    /// Submits `job` unless the previous job submitted through the same `gate` is still queued or running.
    func submit(through gate: Gate, _ job: @Sendable @escaping () -> Void) {
        guard !gate.busy.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async {
            job()
            gate.busy.store(false, ordering: .releasing)
        }
    }

    /// Lets one job of a kind be queued or running at a time.
    final class Gate: Sendable {
        fileprivate let busy = Atomic<Bool>(false)
    }
}
