import KVPosix
import KVStore

/// `--auto-compaction-mode` / `--auto-compaction-retention`, in etcd's two modes:
///
/// * **periodic**: keep about `retention` of history. The current revision is sampled every tenth of
///   the retention (at least every second); each time, the store is compacted to the newest sample that
///   is at least `retention` old.
/// * **revision**: keep the last `retention` revisions; checked every 5 seconds.
///
/// A timer on the first loop submits each `tick` to the worker (one at a time), where the compaction runs.
/// `@unchecked Sendable`: `tick` must not run concurrently with itself, which the worker's gate ensures.
final class AutoCompactor: @unchecked Sendable {
    let mode: ServerConfig.CompactionMode
    let retention: Int64
    private let state: ServerState
    private var samples: [(time: UInt64, revision: Int64)] = []

    init(mode: ServerConfig.CompactionMode, retention: Int64, state: ServerState) {
        self.mode = mode
        self.retention = retention
        self.state = state
    }

    /// How often `tick` should run, in nanoseconds.
    var interval: UInt64 {
        switch mode {
        case .periodic: max(1_000_000_000, UInt64(retention) / 10)
        case .revision: 5_000_000_000
        }
    }

    func tick(now: UInt64 = Posix.monotonicNanoseconds()) {
        let store = state.store
        let current = store.revision
        var target: Int64 = 0
        switch mode {
        case .revision:
            target = current - retention
        case .periodic:
            samples.append((now, current))
            let cutoff = now >= UInt64(retention) ? now - UInt64(retention) : 0
            guard let index = samples.lastIndex(where: { $0.time <= cutoff && now >= UInt64(retention) }) else { return }
            target = samples[index].revision
            samples.removeFirst(index)
        }
        guard target > store.compactedRevision else { return }
        do {
            _ = try store.compact(CompactionRequest(revision: target))
            state.logger.info("auto-compaction: compacted to revision \(target) (mode \(mode.rawValue), retention \(retentionText))")
        } catch {
            state.logger.debug("auto-compaction to revision \(target) skipped: \(error)")
        }
    }

    private var retentionText: String {
        mode == .revision ? "\(retention) revisions" : "\(retention / 1_000_000_000)s"
    }
}
