/// The outcome of an operation on a non-blocking descriptor: it either made progress or would
/// have had to wait.
///
/// "Would block" (`EAGAIN`/`EWOULDBLOCK`) is an ordinary, expected outcome on the hot path, so it
/// is a value rather than a thrown error.
public enum IOResult<Value> {
    /// The call completed; for reads and writes the value is a byte count, which may be smaller
    /// than requested (a partial transfer is normal) and is 0 for a read at end of stream.
    case processed(Value)
    /// Nothing could be done without blocking; wait for readiness and try again.
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}
extension IOResult: Equatable where Value: Equatable {}

extension IOResult {
    /// The value, or `nil` for `.wouldBlock`.
    @inlinable
    public var value: Value? {
        if case .processed(let value) = self { return value }
        return nil
    }
}
