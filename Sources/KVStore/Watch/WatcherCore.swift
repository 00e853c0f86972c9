/// A watcher's mutable state (placeholder until the hub lands).
struct WatcherCore {
    var finished = false
}
