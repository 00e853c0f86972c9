import KVStore

/// The size of a request as etcd measures it against `--max-request-bytes`: the length of its
/// protobuf encoding (etcd refuses `len(data) > maxRequestBytes` with "etcdserver: request is too
/// large"). Every front end (this line protocol, and later gRPC and HTTP) decodes into the same
/// `Request`, so the limit means the same thing whichever one a client speaks, however the request was
/// quoted or escaped on the wire.
///
/// The size is that of the gRPC request message etcd's API defines for the command (`PutRequest`,
/// `TxnRequest`, `WatchRequest`, `AuthUserAddRequest`, …), encoded as proto3 does: fields at their
/// default value (0, false, empty) cost nothing, a set member of a `oneof` always costs its tag, and
/// nested messages cost their length prefix. For example a `PUT k v` is 6 bytes (`0a 01 6b 12 01 76`),
/// and a put of a 1,000-byte value under a 1-byte key is 1,006. Where etcd measures a little more (its
/// raft entry adds a header of a few dozen bytes around the request), the limit here is that much more
/// lenient; commands etcd has no message for (`HELLO`, `PING`, `SNAPSHOT-NEXT`) cost 0, and this
/// protocol's extensions cost what the field they would be encoded as would: `LEASE-GRANT`'s keys as a
/// repeated `bytes` field 3, `PUT --ttl` as a `LeaseGrantRequest` plus the `PutRequest`.
///
/// Unlike etcd, where only requests that go through raft are measured (reads are bounded by gRPC's
/// message limit, the same figure plus 512 KiB), every request is measured against the one limit.
///
/// - Complexity: O(n) in the number of fields, compares and operations, nested ones included; a
///   transaction nested at any depth is walked on an explicit stack.
extension Request {
    /// The request's size in bytes as etcd would encode it (each command's definition measures its own:
    /// `CommandDefinition.encodedSize`).
    public var encodedSize: Int { visitDefinition(RequestMeasurer()) }

    /// Refuses a request larger than `limit` bytes (see `encodedSize`).
    /// - Throws: `.requestTooLarge(size:limit:)`, etcd's "etcdserver: request is too large".
    public func checkSize(limit: Int) throws(StoreError) {
        let size = encodedSize
        if size > limit { throw .requestTooLarge(size: size, limit: limit) }
    }
}

/// Measures a request with its definition.
private struct RequestMeasurer: CommandVisitor {
    typealias Result = Int
    typealias Failure = Never

    func visit<Command: CommandDefinition>(_ command: Command.Type, _ value: Command.Value) -> Int {
        command.encodedSize(value)
    }
}

/// Sizes of proto3 fields (the encoding itself is never built).
enum Protobuf {
    /// Bytes of `value` as a varint: 1 for 0–127, … 10 for a negative `int64`.
    static func varintSize(_ value: UInt64) -> Int {
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    /// Bytes of a field's key (field number and wire type).
    static func tagSize(_ field: Int) -> Int { varintSize(UInt64(field) << 3) }

    static func int64(_ field: Int, _ value: Int64, always: Bool = false) -> Int {
        value == 0 && !always ? 0 : tagSize(field) + varintSize(UInt64(bitPattern: value))
    }

    static func enumeration(_ field: Int, _ value: Int) -> Int { int64(field, Int64(value)) }

    static func bool(_ field: Int, _ value: Bool) -> Int { value ? tagSize(field) + 1 : 0 }

    static func bytes(_ field: Int, _ value: [UInt8], always: Bool = false) -> Int {
        value.isEmpty && !always ? 0 : delimited(field, value.count)
    }

    static func text(_ field: Int, _ value: String) -> Int { value.isEmpty ? 0 : delimited(field, value.utf8.count) }

    /// A length-delimited field (bytes, string, nested message, packed list) whose payload is `length`.
    static func delimited(_ field: Int, _ length: Int) -> Int {
        tagSize(field) + varintSize(UInt64(length)) + length
    }

    static func size(of range: RangeRequest) -> Int {
        bytes(1, range.key) + bytes(2, range.rangeEnd) + int64(3, range.limit) + int64(4, range.revision)
            + enumeration(5, range.sortOrder.rawValue) + enumeration(6, range.sortTarget.rawValue)
            + bool(7, range.serializable) + bool(8, range.keysOnly) + bool(9, range.countOnly)
            + int64(10, range.minModRevision) + int64(11, range.maxModRevision)
            + int64(12, range.minCreateRevision) + int64(13, range.maxCreateRevision)
    }

    static func size(of put: PutRequest) -> Int {
        bytes(1, put.key) + bytes(2, put.value) + int64(3, put.lease) + bool(4, put.prevKV)
            + bool(5, put.ignoreValue) + bool(6, put.ignoreLease)
    }

    static func size(of delete: DeleteRangeRequest) -> Int {
        bytes(1, delete.key) + bytes(2, delete.rangeEnd) + bool(3, delete.prevKV)
    }

    /// `Compare{result, target, key, <target_union>, range_end = 64}`: the member of the `oneof` is
    /// written even when it holds its default value.
    static func size(of compare: Compare) -> Int {
        let targetKind: Int
        let union: Int
        switch compare.target {
        case .version(let version): (targetKind, union) = (0, int64(4, version, always: true))
        case .createRevision(let revision): (targetKind, union) = (1, int64(5, revision, always: true))
        case .modRevision(let revision): (targetKind, union) = (2, int64(6, revision, always: true))
        case .value(let value): (targetKind, union) = (3, bytes(7, value, always: true))
        case .lease(let lease): (targetKind, union) = (4, int64(8, lease, always: true))
        }
        return enumeration(1, compare.result.rawValue) + enumeration(2, targetKind) + bytes(3, compare.key) + union
            + bytes(64, compare.rangeEnd)
    }

    /// `TxnRequest{compare = 1, success = 2, failure = 3}`, each operation a `RequestOp` whose `oneof`
    /// holds the request (`request_range = 1`, `request_put = 2`, `request_delete_range = 3`,
    /// `request_txn = 4`). A nested transaction's size is needed before its parent's, so the walk is
    /// post-order, on an explicit stack.
    static func size(of txn: TxnRequest) -> Int {
        struct Frame {
            let operations: [RequestOp]
            var next = 0
            var size: Int
        }
        func open(_ txn: TxnRequest) -> Frame {
            Frame(operations: txn.success + txn.failure,
                  size: txn.compare.reduce(0) { $0 + delimited(1, size(of: $1)) })
        }
        /// A finished operation of `inner` bytes, as a `RequestOp` in the success (2) or failure (3) list:
        /// both field numbers take one byte, so the list does not change the size.
        func operation(_ field: Int, _ inner: Int) -> Int { delimited(2, delimited(field, inner)) }
        var stack = [open(txn)]
        while true {
            let top = stack.count - 1
            guard stack[top].next < stack[top].operations.count else {
                let finished = stack.removeLast()
                guard !stack.isEmpty else { return finished.size }
                stack[stack.count - 1].size += operation(4, finished.size)
                continue
            }
            let op = stack[top].operations[stack[top].next]
            stack[top].next += 1
            switch op {
            case .range(let range): stack[top].size += operation(1, size(of: range))
            case .put(let put): stack[top].size += operation(2, size(of: put))
            case .deleteRange(let delete): stack[top].size += operation(3, size(of: delete))
            case .txn(let inner): stack.append(open(inner))
            }
        }
    }
}
