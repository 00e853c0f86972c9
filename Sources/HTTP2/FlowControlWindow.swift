/// A flow-control window (RFC 9113 §6.9): how many DATA payload octets may still be sent. Signed —
/// a SETTINGS_INITIAL_WINDOW_SIZE decrease can make a stream's send window negative (§6.9.2) — and
/// never above 2^31-1, which `increase` enforces.
struct FlowControlWindow: Hashable, Sendable {
    static let maximum = Int(Int32.max)

    private(set) var value: Int

    init(_ value: Int) { self.value = value }

    /// Adds a WINDOW_UPDATE increment (or a settings delta). Returns false, leaving the window as it was,
    /// when the result would pass 2^31-1 — the caller's FLOW_CONTROL_ERROR.
    mutating func increase(by delta: Int) -> Bool {
        let result = value + delta
        guard result <= Self.maximum else { return false }
        value = result
        return true
    }

    /// Takes `count` octets (sent or received); the caller checked `count <= value` where that matters.
    mutating func consume(_ count: Int) { value -= count }

    /// What may be sent now (0 when negative).
    var available: Int { max(value, 0) }
}
