import KVStore
import Testing
@testable import KVProtocol

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct RequestDecodingTests {
    /// Lines as a person would type them, and what they mean.
    static let handTyped: [(String, RequestLine)] = [
        ("put foo bar", RequestLine(.put(PutRequest(key: b("foo"), value: b("bar"))))),
        ("GET foo", RequestLine(.range(RangeRequest(key: b("foo"))))),
        ("GET foo --prefix", RequestLine(.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"))))),
        ("get --prefix foo", RequestLine(.range(RangeRequest(key: b("foo"), rangeEnd: b("fop"))))),
        ("GET \"\" --prefix", RequestLine(.range(RangeRequest(key: [0], rangeEnd: [0])))),
        ("GET a --from-key", RequestLine(.range(RangeRequest(key: b("a"), rangeEnd: [0])))),
        ("GET a c", RequestLine(.range(RangeRequest(key: b("a"), rangeEnd: b("c"))))),
        ("get \"a b\" --limit=2", RequestLine(.range(RangeRequest(key: b("a b"), limit: 2)))),
        ("GET \"--weird-key\"", RequestLine(.range(RangeRequest(key: b("--weird-key"))))),
        ("GET k --rev=5 --sort=descend --sort-by=mod --keys-only --count-only --serializable",
         RequestLine(.range(RangeRequest(key: b("k"), revision: 5, sortOrder: .descend, sortTarget: .mod,
                                         serializable: true, keysOnly: true, countOnly: true)))),
        ("GET k --sort-order=ASCEND --sort-target=create --min-mod-rev=1 --max-mod-rev=2 --min-create-rev=3 --max-create-rev=4",
         RequestLine(.range(RangeRequest(key: b("k"), sortOrder: .ascend, sortTarget: .create, minModRevision: 1,
                                         maxModRevision: 2, minCreateRevision: 3, maxCreateRevision: 4)))),
        ("@t1 DEL x", RequestLine(tag: RequestTag("t1"), .deleteRange(DeleteRangeRequest(key: b("x"))))),
        ("@a.b-c_9 delete x --prefix --prev-kv", RequestLine(tag: RequestTag("a.b-c_9"), .deleteRange(DeleteRangeRequest(key: b("x"), rangeEnd: b("y"), prevKV: true)))),
        ("PUT k \"\" --lease=694d5765fc71500b --prev-kv",
         RequestLine(.put(PutRequest(key: b("k"), value: [], lease: 0x694d_5765_fc71_500b, prevKV: true)))),
        ("PUT k --ignore-value --lease=0x1f", RequestLine(.put(PutRequest(key: b("k"), value: [], lease: 31, ignoreValue: true)))),
        ("PUT k v --ignore-lease", RequestLine(.put(PutRequest(key: b("k"), value: b("v"), ignoreLease: true)))),
        ("PUT k v --ttl=10 --prev-kv", RequestLine(.leasedPut(LeasedPutRequest(put: PutRequest(key: b("k"), value: b("v"), prevKV: true), ttl: 10)))),
        ("lease-grant 60", RequestLine(.leaseGrant(LeaseGrantRequest(ttl: 60)))),
        ("LEASE-GRANT 60 a \"b c\" --id=0x1F", RequestLine(.leaseGrant(LeaseGrantRequest(ttl: 60, id: 31, keys: [b("a"), b("b c")])))),
        ("LEASE-REVOKE 694d", RequestLine(.leaseRevoke(0x694d))),
        ("LEASE-KEEPALIVE ffffffffffffffff", RequestLine(.leaseKeepAlive(-1))),
        ("LEASE-TTL 694d --keys", RequestLine(.leaseTimeToLive(LeaseTimeToLiveRequest(id: 0x694d, keys: true)))),
        ("LEASE-LIST", RequestLine(.leaseList)),
        ("@w WATCH foo --prefix --rev=3 --prev-kv --no-delete --progress-notify --watch-id=7",
         RequestLine(tag: RequestTag("w"), .watch(WatchRequest(key: b("foo"), rangeEnd: b("fop"), startRevision: 3, prevKV: true,
                                                               noDelete: true, progressNotify: true, watchID: 7)))),
        ("WATCH a --from-key --no-put", RequestLine(.watch(WatchRequest(key: b("a"), rangeEnd: [0], noPut: true)))),
        ("UNWATCH 7", RequestLine(.unwatch(7))),
        ("progress", RequestLine(.progress)),
        ("PUT \"bin\\x00\\xff\" \"caf\u{e9} \\\"q\\\" \\\\ \\n\\r\\t\\0\"",
         RequestLine(.put(PutRequest(key: [0x62, 0x69, 0x6e, 0x00, 0xff], value: b("caf\u{e9} \"q\" \\ \n\r\t") + [0])))),
        ("PUT a\"b c", RequestLine(.put(PutRequest(key: b("a\"b"), value: b("c"))))),
        ("  PUT \t a   b  ", RequestLine(.put(PutRequest(key: b("a"), value: b("b"))))),
        ("COMPACT 5 --physical", RequestLine(.compact(CompactionRequest(revision: 5, physical: true)))),
        ("hello 1", RequestLine(.hello(HelloRequest(protocolVersion: 1)))),
        ("PING", RequestLine(.ping)),
        ("status", RequestLine(.status)),
        ("MEMBERS", RequestLine(.memberList)),
        ("Health", RequestLine(.health)),
        ("HASH --rev=7", RequestLine(.hashKV(HashKVRequest(revision: 7)))),
        ("TXN IF VALUE foo = bar THEN PUT foo baz ELSE GET foo END", RequestLine(.txn(TxnRequest(
            compare: [Compare(key: b("foo"), result: .equal, target: .value(b("bar")))],
            success: [.put(PutRequest(key: b("foo"), value: b("baz")))],
            failure: [.range(RangeRequest(key: b("foo")))])))),
        ("txn if version a > 3 mod a c < 5 create x --prefix != 0 lease k = 1f then del a --prev-kv",
         RequestLine(.txn(TxnRequest(
            compare: [Compare(key: b("a"), result: .greater, target: .version(3)),
                      Compare(key: b("a"), rangeEnd: b("c"), result: .less, target: .modRevision(5)),
                      Compare(key: b("x"), rangeEnd: b("y"), result: .notEqual, target: .createRevision(0)),
                      Compare(key: b("k"), result: .equal, target: .lease(0x1f))],
            success: [.deleteRange(DeleteRangeRequest(key: b("a"), prevKV: true))])))),
        ("TXN THEN TXN IF VALUE \"then\" = \"END\" THEN PUT a b END GET a --limit=1 END", RequestLine(.txn(TxnRequest(
            success: [.txn(TxnRequest(compare: [Compare(key: b("then"), result: .equal, target: .value(b("END")))],
                                      success: [.put(PutRequest(key: b("a"), value: b("b")))])),
                      .range(RangeRequest(key: b("a"), limit: 1))])))),
        ("TXN END", RequestLine(.txn(TxnRequest()))),
        ("TXN", RequestLine(.txn(TxnRequest()))),
    ]

    @Test(arguments: 0..<handTyped.count)
    func handTypedLine(_ index: Int) throws {
        let (line, expected) = Self.handTyped[index]
        #expect(try RequestDecoder.decode(line) == expected, "\(line)")
    }

    @Test func blankLinesAreIgnored() throws {
        #expect(try RequestDecoder.decode("") == nil)
        #expect(try RequestDecoder.decode("   \t ") == nil)
    }

    /// Malformed lines and the exact reply the server sends for each.
    static let malformed: [(String, String)] = [
        ("PUT \"abc", #"ERR PROTOCOL "unterminated quoted string starting at column 5""#),
        ("@t7 PUT \"abc", #"@t7 ERR PROTOCOL "unterminated quoted string starting at column 9""#),
        ("PUT \"a\\q\" b", #"ERR PROTOCOL "invalid escape '\\q' at column 7 (valid: \\\\ \\\" \\n \\r \\t \\0 \\xHH)""#),
        ("PUT \"\\xZ1\" b", #"ERR PROTOCOL "invalid hex digit in \\x escape at column 8 (expected two of 0-9a-fA-F)""#),
        ("PUT \"a\"b c", #"ERR PROTOCOL "unexpected character after closing quote at column 8 (tokens are separated by spaces)""#),
        ("PUT a\\b c", #"ERR PROTOCOL "backslash outside quotes at column 6 (quote the token to use escapes)""#),
        ("PUT a\u{1}b c", #"ERR PROTOCOL "control byte 0x01 outside quotes at column 6 (quote the token and escape it)""#),
        ("PUT caf\u{e9} c", #"ERR PROTOCOL "non-ASCII byte 0xc3 outside quotes at column 8 (quote the token)""#),
        ("@bad! GET a", #"ERR PROTOCOL "invalid tag @bad!: 1 to 32 characters of A-Z a-z 0-9 _ . -""#),
        ("@t1", #"@t1 ERR PROTOCOL "missing command after tag""#),
        ("FOO bar", #"ERR UNKNOWN_COMMAND "unknown command 'FOO'""#),
        ("@x foo", #"@x ERR UNKNOWN_COMMAND "unknown command 'FOO'""#),
        ("\"GET\" a", #"ERR UNKNOWN_COMMAND "unknown command 'GET'""#),
        ("alarm", #"ERR ARGS "wrong number of arguments for 'ALARM': expected 1, got 0""#),
        ("ALARM activate", #"ERR ARGS "ALARM: invalid action activate (LIST or DISARM)""#),
        ("DEFRAG now", #"ERR ARGS "wrong number of arguments for 'DEFRAG': expected 0, got 1""#),
        ("snapshot-next extra", #"ERR ARGS "wrong number of arguments for 'SNAPSHOT-NEXT': expected 0, got 1""#),
        ("LEASE-GRANT", #"ERR ARGS "wrong number of arguments for 'LEASE-GRANT': expected at least 1, got 0""#),
        ("LEASE-REVOKE xyz", #"ERR ARGS "LEASE-REVOKE: invalid hexadecimal id xyz for <id>""#),
        ("PUT a b --ttl=5 --lease=1", #"ERR ARGS "PUT: --ttl cannot be combined with --lease or --ignore-lease""#),
        ("TXN THEN PUT a b --ttl=5 END", #"ERR ARGS "PUT: unknown option '--ttl'""#),
        ("WATCH a b --prefix", #"ERR ARGS "WATCH: --prefix cannot be combined with <range_end>""#),
        ("UNWATCH", #"ERR ARGS "wrong number of arguments for 'UNWATCH': expected 1, got 0""#),
        ("PUT foo", #"ERR ARGS "wrong number of arguments for 'PUT': expected 2, got 1""#),
        ("PUT a b c", #"ERR ARGS "wrong number of arguments for 'PUT': expected 1 to 2, got 3""#),
        ("GET", #"ERR ARGS "wrong number of arguments for 'GET': expected 1 to 2, got 0""#),
        ("PING x", #"ERR ARGS "wrong number of arguments for 'PING': expected 0, got 1""#),
        ("GET a --limit=x", #"ERR ARGS "GET: invalid integer 'x' for option '--limit'""#),
        ("GET a --limit", #"ERR ARGS "GET: option '--limit' needs a value (--limit=VALUE)""#),
        ("GET a --prefix=1", #"ERR ARGS "GET: option '--prefix' takes no value""#),
        ("GET a --bogus", #"ERR ARGS "GET: unknown option '--bogus'""#),
        ("GET a --limit=1 --limit=2", #"ERR ARGS "GET: option '--limit' given more than once""#),
        ("GET a --sort=up", #"ERR ARGS "GET: invalid value 'up' for option '--sort-order'""#),
        ("GET a b --prefix", #"ERR ARGS "GET: --prefix cannot be combined with <range_end>""#),
        ("DEL a --prefix --from-key", #"ERR ARGS "DEL: --prefix and --from-key cannot be combined""#),
        ("PUT a b --lease=xyz", #"ERR ARGS "PUT: invalid hexadecimal id 'xyz' for option '--lease'""#),
        ("COMPACT five", #"ERR ARGS "COMPACT: invalid integer five for <rev>""#),
        ("HELLO 99999999999999999999", #"ERR ARGS "HELLO: invalid integer 99999999999999999999 for <version>""#),
        ("TXN PUT a b", #"ERR ARGS "TXN: expected IF, THEN, ELSE or END, got PUT""#),
        ("TXN THEN PUT a b IF VALUE a = b", #"ERR ARGS "TXN: IF out of place (the order is IF, THEN, ELSE, END)""#),
        ("TXN IF VALUE a b THEN", #"ERR ARGS "TXN: VALUE compare is missing its operator (=, !=, <, >)""#),
        ("TXN IF VALUE a =", #"ERR ARGS "TXN: VALUE compare is missing the value after its operator""#),
        ("TXN IF VERSION a > x", #"ERR ARGS "TXN: invalid integer x in VERSION compare""#),
        ("TXN IF BOGUS a > 1", #"ERR ARGS "TXN: expected a compare (VALUE, VERSION, CREATE, MOD, LEASE), got BOGUS""#),
        ("TXN THEN TXN THEN PUT a b", #"ERR ARGS "TXN: missing END of nested TXN""#),
        ("TXN THEN PUT a b END c", #"ERR ARGS "TXN: unexpected c after END""#),
        ("TXN THEN PUT a", #"ERR ARGS "wrong number of arguments for 'PUT': expected 2, got 1""#),
        ("TXN ELSE GET a --nope", #"ERR ARGS "GET: unknown option '--nope'""#),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedLine(_ index: Int) {
        let (line, expected) = Self.malformed[index]
        do {
            let decoded = try RequestDecoder.decode(line)
            Issue.record("\(line) decoded to \(String(describing: decoded))")
        } catch {
            let reply = ReplyEncoder.line(.failure(error.error), tag: error.tag)
            #expect(String(decoding: reply, as: UTF8.self) == expected + "\n", "\(line)")
        }
    }

    @Test func encoderWritesCanonicalLines() {
        let cases: [(Request, RequestTag?, String)] = [
            (.put(PutRequest(key: b("foo"), value: b("bar"))), nil, "PUT foo bar"),
            (.put(PutRequest(key: b("k"), value: [], lease: 0x694d, ignoreValue: true)), RequestTag("7"), "@7 PUT k --lease=694d --ignore-value"),
            (.put(PutRequest(key: b("a b"), value: [0, 0xff, 0x22, 0x5c, 0x0a])), nil, #"PUT "a b" "\0\xff\"\\\n""#),
            (.range(RangeRequest(key: b("--k"), rangeEnd: [0], limit: 10, sortOrder: .descend, sortTarget: .mod)), nil,
             #"GET "--k" "\0" --limit=10 --sort-order=descend --sort-target=mod"#),
            (.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("b"), prevKV: true)), nil, "DEL a b --prev-kv"),
            (.txn(TxnRequest(compare: [Compare(key: b("end"), result: .less, target: .modRevision(5))],
                             success: [.put(PutRequest(key: b("x"), value: b("then")))],
                             failure: [.txn(TxnRequest())])), nil,
             #"TXN IF MOD "end" < 5 THEN PUT x "then" ELSE TXN END END"#),
            (.compact(CompactionRequest(revision: 9)), nil, "COMPACT 9"),
            (.hello(HelloRequest()), nil, "HELLO 1"),
            (.hashKV(HashKVRequest()), nil, "HASH"),
        ]
        for (request, tag, expected) in cases {
            #expect(String(decoding: RequestEncoder.encode(request, tag: tag), as: UTF8.self) == expected + "\n")
        }
    }
}
