import KVStore
import Testing
@testable import KVProtocol

/// `TXN THEN TXN THEN … END END` with `levels` transactions inside the outer one; `innermost` is the
/// innermost transaction's body (empty for `TXN END`).
func nestedTxnLine(levels: Int, branch: String = "THEN", innermost: String = " THEN PUT a b") -> String {
    var line = "TXN"
    line.reserveCapacity(levels * 14 + 32)
    for _ in 0..<levels { line += " \(branch) TXN" }
    line += innermost
    for _ in 0...levels { line += " END" }
    return line
}

/// How deep a decoded transaction nests (levels inside the outer one), walked without recursion.
func nesting(of txn: TxnRequest) -> Int {
    var levels = 0
    var current = txn
    while case .txn(let inner)? = (current.success + current.failure).first(where: { if case .txn = $0 { true } else { false } }) {
        levels += 1
        current = inner
    }
    return levels
}

/// The parser bounds a transaction's nesting before descending into it, so no line can exhaust its stack
/// or reach a later walk over the transaction.
@Suite struct TxnNestingTests {
    static func error(_ line: String, maxTxnOps: Int = .max) -> String? {
        do {
            _ = try RequestDecoder.decode(line, maxTxnOps: maxTxnOps)
            return nil
        } catch {
            return String(decoding: ReplyEncoder.line(.failure(error.error), tag: error.tag).dropLast(), as: UTF8.self)
        }
    }

    static let tooMany = #"ERR TOO_MANY_OPS "etcdserver: too many operations in txn request""#
    static let tooDeep = #"ERR ARGS "TXN: transactions nest at most 128 levels deep""#

    /// (line, --max-txn-ops, the error, or nil when it decodes)
    static let cases: [(String, Int, String?)] = [
        // The fuzzer's line: 20,000 levels. etcd's default limit leaves the 129th level nothing.
        (nestedTxnLine(levels: 20_000), 128, tooMany + " count=1 limit=0"),
        ("@t " + nestedTxnLine(levels: 20_000), 128, "@t " + tooMany + " count=1 limit=0"),
        (nestedTxnLine(levels: 20_000, branch: "ELSE"), 128, tooMany + " count=1 limit=0"),
        (nestedTxnLine(levels: 20_000), 5, tooMany + " count=1 limit=0"),
        (nestedTxnLine(levels: 20_000), 1, tooMany + " count=1 limit=0"),
        // Without an operation limit (or a larger one), the nesting limit applies.
        (nestedTxnLine(levels: 20_000), .max, tooDeep),
        (nestedTxnLine(levels: 20_000), 1_000_000, tooDeep),
        (nestedTxnLine(levels: 129), .max, tooDeep),
        (nestedTxnLine(levels: 129, innermost: ""), .max, tooDeep),
        // The deepest nesting etcd's default allows: 128 levels inside the outer one, the last empty.
        (nestedTxnLine(levels: 128, innermost: ""), 128, nil),
        (nestedTxnLine(levels: 128, innermost: ""), .max, nil),
        // A PUT there is over etcd's budget: the store refuses it (the parser only bounds the nesting).
        (nestedTxnLine(levels: 128), 128, nil),
        (nestedTxnLine(levels: 128), .max, nil),
        // The parent's operations so far count against what a nested transaction is left.
        ("TXN THEN PUT a 1 PUT b 2 TXN THEN PUT c 3 END END", 2, tooMany + " count=3 limit=2"),
        ("TXN IF VALUE a = 1 VALUE b = 2 VALUE c = 3 THEN TXN END END", 2, tooMany + " count=3 limit=2"),
        ("TXN THEN PUT a 1 PUT b 2 TXN END END", 3, nil),
        ("TXN THEN PUT a 1 TXN THEN PUT b 2 TXN THEN PUT c 3 END END END", 3, tooMany + " count=2 limit=1"),
        // Flat operations are the store's to count, exactly as etcd does.
        ("TXN THEN " + (0..<500).map { "PUT k\($0) v" }.joined(separator: " ") + " END", 128, nil),
    ]

    @Test(arguments: 0..<cases.count)
    func nestingIsBoundedBeforeParsing(_ index: Int) {
        let (line, limit, expected) = Self.cases[index]
        #expect(Self.error(line, maxTxnOps: limit) == expected, "case \(index): \(line.prefix(80))…")
    }

    @Test func deepestNestingDecodesCompletely() throws {
        let decoded = try #require(try RequestDecoder.decode(nestedTxnLine(levels: 128), maxTxnOps: .max))
        guard case .txn(let txn) = decoded.request else {
            Issue.record("not a TXN: \(decoded)")
            return
        }
        #expect(nesting(of: txn) == 128)
    }

    /// Every maxTxnOps at the int64 edges: no budget arithmetic can overflow.
    @Test(arguments: [Int.min, -1, 0, 1, Int.max - 1, Int.max])
    func anyOperationLimit(limit: Int) {
        let line = "TXN THEN PUT a 1 TXN THEN PUT b 2 END END"
        let expected: String? = limit >= 2 ? nil : Self.tooMany + " count=2 limit=\(limit)"
        #expect(Self.error(line, maxTxnOps: limit) == expected)
        #expect(Self.error("TXN END", maxTxnOps: limit) == nil, "an empty TXN has nothing to count")
    }

    // MARK: Replies

    static func nestedReply(levels: Int) -> String {
        var line = "OK rev=1 term=0 cluster=0 member=0 succeeded=1 responses=1"
        for _ in 0..<levels { line += " TXN rev=1 succeeded=1 responses=1" }
        line.removeLast(" responses=1".count)
        return line + " responses=0"
    }

    @Test func replyNestingIsBounded() throws {
        let deepest = try ReplyDecoder.decode(Self.nestedReply(levels: 128), for: .txn)
        guard case .success(.txn(let response)) = deepest.result else {
            Issue.record("\(deepest)")
            return
        }
        var levels = 0
        var current = response
        while case .txn(let inner)? = current.responses.first {
            levels += 1
            current = inner
        }
        #expect(levels == 128)
        for levels in [129, 20_000] {
            #expect(throws: WireError.protocolViolation("malformed reply: TXN responses nested more than 128 levels deep")) {
                try ReplyDecoder.decode(Self.nestedReply(levels: levels), for: .txn)
            }
        }
    }

    /// Counts a hostile server sends never size anything: each is checked against the items present.
    @Test(arguments: ["-9223372036854775808", "-1", "2", "9223372036854775806", "9223372036854775807"])
    func replyCountsAreChecked(count: String) {
        let replies: [(String, CommandKind)] = [
            ("OK rev=1 succeeded=1 responses=\(count) PUT rev=1 prev=0", .txn),
            ("OK rev=1 count=1 more=0 kvs=\(count) KV a b 1 1 1 0", .get),
            ("OK rev=1 deleted=1 prev=\(count) KV a b 1 1 1 0", .del),
            ("OK rev=1 prev=\(count) KV a b 1 1 1 0", .put),
            ("OK rev=1 leases=\(count) LEASE 1", .leaseList),
            ("OK rev=1 id=1 ttl=1 granted_ttl=1 keys=\(count) KEY a", .leaseTTL),
            ("OK rev=1 members=\(count) MEMBER m id=1 learner=0 peers=\(count) clients=0 PEER p", .members),
            ("OK rev=1 watch_id=1 events=\(count) EV PUT prev=0 KV a b 1 1 1 0", .watch),
            ("OK rev=1 version=3 errors=\(count) ERROR e", .status),
            ("OK rev=1 users=\(count) USER a", .userList),
            ("OK rev=1 roles=\(count) ROLE a", .roleList),
            ("OK rev=1 perms=\(count) PERM read a b", .roleGet),
        ]
        for (line, kind) in replies {
            #expect(throws: WireError.self, "\(line)") { try ReplyDecoder.decode(line, for: kind) }
        }
    }
}
