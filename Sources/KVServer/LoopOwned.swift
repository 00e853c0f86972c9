/// Carries a loop-owned object through a `@Sendable` closure that only ever runs on that object's
/// loop thread (work handed back with `EventLoop.execute`). The caller guarantees that.
struct LoopOwned<Value: AnyObject>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }
}
