import KVStore
import Testing
@testable import KVProtocol

/// Every integer a request carries, at the int64 edges: decoded exactly (leading zeros included), written
/// back by the encoder as the same value, and refused with an `ARGS` error one past the edge — never a trap.
@Suite struct IntegerEdgeTests {
    static let decimal: [(text: String, value: Int64)] = [
        ("-9223372036854775808", .min), ("-1", -1), ("0", 0), ("1", 1),
        ("9223372036854775806", .max - 1), ("9223372036854775807", .max),
        ("00000000000000000000001", 1), ("-00000000000000000000001", -1),
        ("000000000000000000000009223372036854775807", .max), ("-0000000009223372036854775808", .min),
        ("-0", 0),
    ]
    static let decimalOverflows = ["9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                   "99999999999999999999999999", "0000000000000000000009223372036854775808"]

    /// Hexadecimal ids are the two's-complement bit pattern of an Int64.
    static let hex: [(text: String, value: Int64)] = [
        ("8000000000000000", .min), ("ffffffffffffffff", -1), ("0", 0), ("1", 1),
        ("7ffffffffffffffe", .max - 1), ("7fffffffffffffff", .max), ("0x7FFFFFFFFFFFFFFF", .max),
        ("00000000000000000000001", 1), ("0x0000000000000000000ffffffffffffffff", -1),
    ]
    static let hexOverflows = ["10000000000000000", "0x10000000000000000", "ffffffffffffffff0"]

    /// Each command's integers: a line with `{}` where the number goes, and how to read it back.
    static let decimalFields: [(line: String, read: @Sendable (Request) -> Int64?)] = [
        ("HELLO {}", { if case .hello(let r) = $0 { r.protocolVersion } else { nil } }),
        ("GET a --limit={}", { if case .range(let r) = $0 { r.limit } else { nil } }),
        ("GET a --rev={}", { if case .range(let r) = $0 { r.revision } else { nil } }),
        ("GET a --min-mod-rev={}", { if case .range(let r) = $0 { r.minModRevision } else { nil } }),
        ("GET a --max-mod-rev={}", { if case .range(let r) = $0 { r.maxModRevision } else { nil } }),
        ("GET a --min-create-rev={}", { if case .range(let r) = $0 { r.minCreateRevision } else { nil } }),
        ("GET a --max-create-rev={}", { if case .range(let r) = $0 { r.maxCreateRevision } else { nil } }),
        ("PUT a b --ttl={}", { if case .leasedPut(let r) = $0 { r.ttl } else { nil } }),
        ("COMPACT {}", { if case .compact(let r) = $0 { r.revision } else { nil } }),
        ("HASH --rev={}", { if case .hashKV(let r) = $0 { r.revision } else { nil } }),
        ("SNAPSHOT --rev={}", { if case .snapshot(let r) = $0 { r.revision } else { nil } }),
        ("LEASE-GRANT {}", { if case .leaseGrant(let r) = $0 { r.ttl } else { nil } }),
        ("WATCH a --rev={}", { if case .watch(let r) = $0 { r.startRevision } else { nil } }),
        ("WATCH a --watch-id={}", { if case .watch(let r) = $0 { r.watchID } else { nil } }),
        ("UNWATCH {}", { if case .unwatch(let id) = $0 { id } else { nil } }),
        ("TXN IF VERSION a = {} END", { compareOperand($0) }),
        ("TXN IF CREATE a > {} END", { compareOperand($0) }),
        ("TXN IF MOD a < {} END", { compareOperand($0) }),
        ("TXN THEN GET a --limit={} END", { if case .txn(let t) = $0, case .range(let r)? = t.success.first { r.limit } else { nil } }),
        ("TXN ELSE GET a --rev={} --min-mod-rev=1 END", { if case .txn(let t) = $0, case .range(let r)? = t.failure.first { r.revision } else { nil } }),
    ]

    static let hexFields: [(line: String, read: @Sendable (Request) -> Int64?)] = [
        ("PUT a b --lease={}", { if case .put(let r) = $0 { r.lease } else { nil } }),
        ("LEASE-GRANT 5 --id={}", { if case .leaseGrant(let r) = $0 { r.id } else { nil } }),
        ("LEASE-REVOKE {}", { if case .leaseRevoke(let id) = $0 { id } else { nil } }),
        ("LEASE-KEEPALIVE {}", { if case .leaseKeepAlive(let id) = $0 { id } else { nil } }),
        ("LEASE-TTL {} --keys", { if case .leaseTimeToLive(let r) = $0 { r.id } else { nil } }),
        ("TXN IF LEASE a != {} END", { compareOperand($0) }),
        ("TXN THEN PUT a b --lease={} END", { if case .txn(let t) = $0, case .put(let r)? = t.success.first { r.lease } else { nil } }),
    ]

    static func compareOperand(_ request: Request) -> Int64? {
        guard case .txn(let txn) = request, let compare = txn.compare.first else { return nil }
        switch compare.target {
        case .version(let n), .createRevision(let n), .modRevision(let n), .lease(let n): return n
        case .value: return nil
        }
    }

    static func decode(_ line: String) -> Result<Request, WireError> {
        do {
            guard let decoded = try RequestDecoder.decode(line) else { return .failure(.protocolViolation("blank")) }
            return .success(decoded.request)
        } catch {
            return .failure(error.error)
        }
    }

    static func check(_ template: String, _ read: (Request) -> Int64?, values: [(text: String, value: Int64)], overflows: [String]) {
        for (text, value) in values {
            let line = template.replacing("{}", with: text)
            guard case .success(let request) = decode(line) else {
                Issue.record("\(line): \(decode(line))")
                continue
            }
            #expect(read(request) == value, "\(line)")
            let encoded = RequestEncoder.encode(request)
            let again = decode(String(decoding: encoded.dropLast(), as: UTF8.self))
            #expect(again == .success(request), "\(line) → \(String(decoding: encoded, as: UTF8.self))")
        }
        for text in overflows {
            let line = template.replacing("{}", with: text)
            guard case .failure(let error) = decode(line) else {
                Issue.record("\(line) decoded")
                continue
            }
            #expect(error.code == "ARGS" && error.message.contains(text), "\(line): \(error)")
        }
    }

    @Test(arguments: 0..<decimalFields.count)
    func decimalField(_ index: Int) {
        let (template, read) = Self.decimalFields[index]
        Self.check(template, read, values: Self.decimal, overflows: Self.decimalOverflows)
    }

    @Test(arguments: 0..<hexFields.count)
    func hexField(_ index: Int) {
        let (template, read) = Self.hexFields[index]
        Self.check(template, read, values: Self.hex, overflows: Self.hexOverflows)
    }

    @Test func integerSyntax() {
        for (text, value) in Self.decimal { #expect(Integers.int64(Array(text.utf8)) == value, "\(text)") }
        for text in Self.decimalOverflows + ["", "-", "+1", "1e3", " 1", "0x10", "--1"] {
            #expect(Integers.int64(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(Integers.uint64(Array("00000000000000000000018446744073709551615".utf8)) == UInt64.max)
        #expect(Integers.uint64(Array("18446744073709551616".utf8)) == nil)
        for (text, value) in Self.hex { #expect(Integers.hex(Array(text.utf8)).map { Int64(bitPattern: $0) } == value, "\(text)") }
        for text in Self.hexOverflows + ["", "0x", "0xg", "x1", "-1"] { #expect(Integers.hex(Array(text.utf8)) == nil, "\(text)") }
    }

    /// Numbers in replies come from a server: they are parsed with the same checks, so a hostile value
    /// is a protocol error, never a trap.
    @Test func replyFieldsAtTheEdges() throws {
        for (text, value) in Self.decimal {
            let reply = try ReplyDecoder.decode("OK rev=\(text) term=0 cluster=0 member=0 id=1 ttl=\(text)", for: .leaseKeepAlive)
            guard case .success(.leaseKeepAlive(let response)) = reply.result else {
                Issue.record("\(reply)")
                continue
            }
            #expect(response.header.revision == value && response.ttl == value)
        }
        for text in Self.decimalOverflows {
            #expect(throws: WireError.self) { try ReplyDecoder.decode("OK rev=\(text)", for: .compact) }
            #expect(throws: WireError.self) {
                try ReplyDecoder.decode(#"ERR TOO_MANY_OPS "etcdserver: too many operations in txn request" count=\#(text) limit=1"#, for: .txn)
            }
        }
        let edges = try ReplyDecoder.decode(#"ERR TOO_MANY_OPS "etcdserver: too many operations in txn request" count=-9223372036854775808 limit=9223372036854775807"#, for: .txn)
        #expect(edges.result == .failure(.store(.tooManyOperations(count: Int.min, limit: Int.max))))
        #expect(throws: WireError.self) { try ReplyDecoder.decode("OK rev=1 hash=4294967296", for: .hash) }
    }
}
