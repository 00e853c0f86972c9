import Testing
@testable import KVStore

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// `levels` transactions nested inside an outer one, each in the branch `failure` picks, around
/// `innermost`; built without recursion.
private func chain(levels: Int, innermost: TxnRequest, failure: Bool = false) -> TxnRequest {
    var txn = innermost
    for _ in 0..<levels {
        txn = failure ? TxnRequest(failure: [.txn(txn)]) : TxnRequest(success: [.txn(txn)])
    }
    return txn
}

private let put = TxnRequest(success: [.put(PutRequest(key: b("a"), value: b("b")))])

/// Operation counts and nesting of transactions handed to the store in-process, where an embedder can
/// build one of any depth: the store refuses before its recursive walks could meet it.
struct TxnLimitsTests {
    /// (levels, innermost, maxTxnOps, what `txn` throws; nil when it applies)
    static let cases: [(Int, TxnRequest, Int, StoreError?)] = [
        (128, TxnRequest(), 128, nil),
        (128, put, 128, .tooManyOperations(count: 1, limit: 0)),
        (127, put, 128, nil),
        (128, put, Int.max, nil),
        (129, TxnRequest(), Int.max, .tooManyOperations(count: 129, limit: 128)),
        (129, TxnRequest(), 128, .tooManyOperations(count: 1, limit: 0)),
        (130, TxnRequest(), 128, .tooManyOperations(count: 1, limit: 0)),
        (20_000, put, 128, .tooManyOperations(count: 1, limit: 0)),
        (20_000, put, Int.max, .tooManyOperations(count: 129, limit: 128)),
        (20_000, put, 1_000_000, .tooManyOperations(count: 129, limit: 128)),
        (3, put, 2, .tooManyOperations(count: 1, limit: 0)),
    ]

    @Test(arguments: 0..<cases.count)
    func nestingIsRefusedBeforeItIsWalked(_ index: Int) throws {
        let (levels, innermost, limit, expected) = Self.cases[index]
        let store = Store(configuration: StoreConfiguration(maxTxnOps: limit))
        for failure in [false, true] {
            let txn = chain(levels: levels, innermost: innermost, failure: failure)
            if let expected {
                #expect(throws: expected) { try store.txn(txn) }
            } else {
                let response = try store.txn(txn)
                var depth = 0
                var current = response
                while case .txn(let inner)? = current.responses.first {
                    depth += 1
                    current = inner
                }
                // Without compares the success branch runs: a chain in `failure` answers with nothing.
                #expect(depth == (failure ? 0 : levels))
            }
        }
    }

    @Test func flatOperationsCountAsEtcdCountsThem() throws {
        let store = Store()
        let puts = (0..<129).map { RequestOp.put(PutRequest(key: b("k\($0)"), value: b("v"))) }
        #expect(throws: StoreError.tooManyOperations(count: 129, limit: 128)) { try store.txn(TxnRequest(success: puts)) }
        #expect(throws: StoreError.tooManyOperations(count: 129, limit: 128)) { try store.txn(TxnRequest(failure: puts)) }
        _ = try store.txn(TxnRequest(success: Array(puts.prefix(128)), failure: Array(puts.prefix(128))))
        // A nested transaction gets what its parent leaves: 128 − 127.
        let nested = TxnRequest(success: Array(puts.prefix(126)) + [.txn(TxnRequest(success: Array(puts[126...127])))])
        #expect(throws: StoreError.tooManyOperations(count: 2, limit: 1)) { try store.txn(nested) }
    }

    /// Every maxTxnOps at the int64 edges: no budget arithmetic can overflow.
    @Test(arguments: [Int.min, -1, 0, 1, Int.max - 1, Int.max])
    func anyOperationLimit(limit: Int) throws {
        let store = Store(configuration: StoreConfiguration(maxTxnOps: limit))
        let txn = TxnRequest(success: [.put(PutRequest(key: b("c"), value: b("1"))), .txn(put)])
        if limit >= 3 {
            _ = try store.txn(txn)
        } else {
            let expected: StoreError = limit >= 2 ? .tooManyOperations(count: 1, limit: 0) : .tooManyOperations(count: 2, limit: limit)
            #expect(throws: expected) { try store.txn(txn) }
        }
        if limit >= 0 {
            _ = try store.txn(TxnRequest())
        } else {
            #expect(throws: StoreError.tooManyOperations(count: 0, limit: limit)) { try store.txn(TxnRequest()) }
        }
    }

    /// Authorization runs before the store's checks: it walks any depth without recursing.
    @Test func authorizationWalksAnyDepth() throws {
        let store = Store(configuration: StoreConfiguration(passwordHashIterations: 10))
        try store.auth.addUser("root", password: "pw")
        try store.auth.addUser("reader", password: "r")
        try store.auth.addRole("read-all")
        try store.auth.grantPermission(Permission(kind: .read, key: [0], rangeEnd: [0]), to: "read-all")
        try store.auth.grantRole("read-all", to: "reader")
        try store.auth.enable()
        let root = try store.auth.authenticate(name: "root", password: "pw")
        let reader = try store.auth.authenticate(name: "reader", password: "r")
        let deepRead = chain(levels: 20_000, innermost: TxnRequest(success: [.range(RangeRequest(key: b("a")))]))
        let deepWrite = chain(levels: 20_000, innermost: put)
        try store.authorize(deepRead, token: root)
        try store.authorize(deepRead, token: reader)
        #expect(throws: AuthError.permissionDenied) { try store.authorize(deepWrite, token: reader) }
        #expect(throws: AuthError.userNameEmpty) { try store.authorize(deepRead, token: nil) }
        // Order and coverage as before: compares of nested levels, both branches.
        let nestedCompare = TxnRequest(failure: [.txn(TxnRequest(compare: [Compare(key: b("a"), result: .equal, target: .version(1))],
                                                                  success: [.txn(put)]))])
        try store.authorize(nestedCompare, token: root)
        #expect(throws: AuthError.permissionDenied) { try store.authorize(nestedCompare, token: reader) }
    }
}
