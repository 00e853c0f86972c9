/// Drops the history superseded before `revision`; reads below it fail with `.compacted` afterwards.
public struct CompactionRequest: Hashable, Sendable {
    public var revision: Int64
    /// Accepted for compatibility: compaction here always completes before the call returns.
    public var physical: Bool

    public init(revision: Int64, physical: Bool = false) {
        self.revision = revision
        self.physical = physical
    }
}

public struct CompactionResponse: Hashable, Sendable {
    public var header: ResponseHeader

    public init(header: ResponseHeader) { self.header = header }
}
