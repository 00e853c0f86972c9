/// Moves a value that is used by one thread at a time (handed to the worker and not touched by the loop
/// meanwhile) across the `Sendable` boundary.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
