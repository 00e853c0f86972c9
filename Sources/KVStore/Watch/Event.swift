/// One change seen by a watcher. A delete's `kv` holds only the key and the delete's revision as
/// `modRevision` (etcd's shape); `prevKV` is the version before the change, when asked for.
public struct Event: Hashable, Sendable {
    public enum EventType: Int, Hashable, Sendable { case put = 0, delete = 1 }

    public var type: EventType
    public var kv: KeyValue
    public var prevKV: KeyValue?

    public init(type: EventType, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.type = type
        self.kv = kv
        self.prevKV = prevKV
    }
}
