import KVStore
import Testing
@testable import KVProtocol
import TestSupport

@Suite struct RoundTripTests {
    @Test func randomRequestsSurviveEncodeAndDecode() throws {
        var fuzz = Fuzz(seed: 0x5eed_0001)
        for _ in 0..<3000 {
            let request = fuzz.request()
            let tag = fuzz.tag()
            let line = RequestEncoder.encode(request, tag: tag)
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(line.dropLast().allSatisfy { $0 >= 0x20 && $0 <= 0x7e }, "wire must stay printable ASCII")
            let decoded = try RequestDecoder.decode(Array(line.dropLast()))
            #expect(decoded == RequestLine(tag: tag, request), "line: \(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test func deeplyNestedTxnRoundTrips() throws {
        var fuzz = Fuzz(seed: 42)
        var txn = TxnRequest(compare: [fuzz.compare()], success: [.put(fuzz.put())])
        for _ in 0..<6 {
            txn = TxnRequest(compare: [fuzz.compare()], success: [.txn(txn), .range(fuzz.range())], failure: [.txn(txn)])
        }
        let line = RequestEncoder.encode(.txn(txn))
        #expect(try RequestDecoder.decode(Array(line.dropLast()))?.request == .txn(txn))
    }

    @Test func randomResponsesSurviveEncodeAndDecode() throws {
        var fuzz = Fuzz(seed: 0x5eed_0002)
        for _ in 0..<3000 {
            let response = fuzz.response()
            let tag = fuzz.tag()
            var buffer = ByteBuffer()
            ReplyEncoder.encode(response, tag: tag, into: &buffer)
            let line = buffer.readAll()
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(line.dropLast().allSatisfy { $0 >= 0x20 && $0 <= 0x7e }, "wire must stay printable ASCII")
            #expect(line.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil, "exactly one line")
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: response.kind)
            #expect(reply == Reply(tag: tag, result: .success(response)), "line: \(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test func everyStoreErrorMapsToOneCodeAndBack() throws {
        var fuzz = Fuzz(seed: 7)
        var codes: [String: String] = [:]
        for _ in 0..<500 {
            let error = WireError.store(fuzz.storeError())
            let line = ReplyEncoder.line(.failure(error), tag: nil)
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: .get)
            #expect(reply.result == .failure(error), "line: \(String(decoding: line, as: UTF8.self))")
            // One code per condition: the same code always carries the same etcd message.
            if let message = codes[error.code] { #expect(message == error.message) }
            codes[error.code] = error.message
            #expect(WireError.allCodes.contains(error.code))
        }
        #expect(codes.count == 13)
    }

    @Test func everyAuthErrorMapsToOneCodeAndBack() throws {
        let errors: [AuthError] = [
            .userNameEmpty, .userAlreadyExists("alice"), .userNotFound("bob"), .roleAlreadyExists("r"),
            .roleNotFound("reader"), .authenticationFailed, .permissionDenied, .rootUserNotExist, .rootRoleNotExist,
            .roleNotGranted, .permissionNotGranted, .invalidAuthToken, .authNotEnabled, .invalidAuthManagement,
            .tooManyRequests,
        ]
        var codes = Set<String>()
        for error in errors {
            let line = ReplyEncoder.line(.failure(.auth(error)), tag: nil)
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: .get)
            #expect(reply.result == .failure(.auth(error)), "line: \(String(decoding: line, as: UTF8.self))")
            #expect(WireError.auth(error).message == error.description)
            #expect(WireError.allCodes.contains(WireError.auth(error).code))
            codes.insert(WireError.auth(error).code)
        }
        #expect(codes.count == errors.count)
        #expect(WireError.auth(.permissionDenied).message == "etcdserver: permission denied")
    }

    @Test func passwordsNeverAppearInDecodingErrors() throws {
        for line in ["AUTHENTICATE bob", "AUTHENTICATE bob hunter2 extra", "USER-ADD bob --hunter2 x",
                     "USER-PASSWD bob --hunter2 x", "USER-ADD bob hunter2 --no-password", "USER-PASSWD bob"] {
            do {
                _ = try RequestDecoder.decode(Array(line.utf8))
                Issue.record("\(line) decoded")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(line): \(error.description)")
                #expect(error.error.code == "ARGS")
            }
        }
        // A password that looks like an option is a password, quoted or not.
        #expect(try RequestDecoder.decode(Array("AUTHENTICATE bob --hunter2".utf8))?.request
                 == .authenticate(AuthenticateRequest(name: "bob", password: "--hunter2")))
        #expect(try RequestDecoder.decode(Array("USER-PASSWD bob --hunter2".utf8))?.request
                 == .auth(.userChangePassword(name: "bob", password: "--hunter2")))
        let request = Request.authenticate(AuthenticateRequest(name: "bob", password: "--hunter2"))
        let encoded = RequestEncoder.encode(request)
        #expect(try RequestDecoder.decode(Array(encoded.dropLast()))?.request == request)
        #expect("\(request)".contains("hunter2") == false)
    }

    @Test func protocolErrorsRoundTrip() throws {
        let errors: [WireError] = [
            .protocolViolation("unterminated quoted string starting at column 5"),
            .unknownCommand("unknown command 'FOO'"),
            .invalidArguments("wrong number of arguments for 'PUT': expected 2, got 1"),
            .unsupportedVersion(requested: 9, supported: 1),
            .notImplemented("command 'WATCH' is planned but not available in protocol 1"),
            .internalError("boom \"quoted\"\nnext line"),
            .tooManyConnections("kvserver: too many client connections (--max-connections 2)"),
            .stopped,
            .other(code: "SOMETHING_NEW", message: "from a newer server"),
        ]
        for error in errors {
            let line = ReplyEncoder.line(.failure(error), tag: RequestTag("t9"))
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: .ping)
            #expect(reply == Reply(tag: RequestTag("t9"), result: .failure(error)))
            #expect(WireError.allCodes.contains(error.code) != (error.code == "SOMETHING_NEW"))
        }
        #expect(String(decoding: ReplyEncoder.line(.failure(.stopped)), as: UTF8.self)
                == #"ERR STOPPED "etcdserver: server stopped""# + "\n")
    }
}

@Suite struct WatchEventRoundTripTests {
    @Test func randomEventLinesSurviveEncodeAndDecode() throws {
        var fuzz = Fuzz(seed: 0x5eed_0003)
        for _ in 0..<1000 {
            let event = fuzz.watchResponse()
            let tag = fuzz.tag()
            var buffer = ByteBuffer()
            ReplyEncoder.encodeEvent(event, tag: tag, into: &buffer)
            let line = buffer.readAll()
            #expect(line.dropLast().allSatisfy { $0 >= 0x20 && $0 <= 0x7e }, "wire must stay printable ASCII")
            // An EVENT line decodes the same whichever command the client thinks it answers.
            let reply = try ReplyDecoder.decode(Array(line.dropLast()), for: .get)
            #expect(reply == Reply(tag: tag, result: .success(.watch(event)), isEvent: true),
                    "line: \(String(decoding: line, as: UTF8.self))")
        }
    }
}

/// The plain-line fast path against the general decoder: whenever it decodes a line, the general decoder
/// decodes the same line to the same request.
@Suite struct PlainRequestDecoderTests {
    @Test func agreesWithTheGeneralDecoderOnRandomLines() throws {
        var rng = SeededGenerator(seed: 0xfa57)
        let pieces = ["PUT", "put", "Put", "GET", "get", "GEt", "RANGE", "DEL", "@t1", "@", "@bad!tag", "k", "key/1", "v",
                      "--prefix", "--", "-", "\"q\"", "a\"b", "x\\y", "\t", "", "caf\u{e9}", "0", "--lease=1", "END", "@x"]
        var decodedFast = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...5, using: &rng)
            var words = (0..<count).map { _ in pieces.randomElement(using: &rng)! }
            if Bool.random(using: &rng) {
                // Shaped like the common case, with random pieces in it.
                words = (Bool.random(using: &rng) ? ["@t\(Int.random(in: 0...9, using: &rng))"] : [])
                    + [["PUT", "get", "GET", "pUt"].randomElement(using: &rng)!] + words.prefix(Int.random(in: 1...2, using: &rng))
            }
            var line = words.joined(separator: Bool.random(using: &rng) ? " " : "  ")
            if Int.random(in: 0...9, using: &rng) == 0 { line = " " + line }
            let bytes = Array(line.utf8)
            guard let plain = PlainRequestDecoder.decode(bytes) else { continue }
            decodedFast += 1
            #expect(try RequestDecoder.decodeTokenized(bytes) == plain, "\(line)")
        }
        #expect(decodedFast > 500, "the generator reaches the fast path")
        // And the fast path takes what it should.
        #expect(PlainRequestDecoder.decode(Array("@t7 PUT foo bar".utf8)) == RequestLine(tag: RequestTag("t7"), .put(PutRequest(key: Array("foo".utf8), value: Array("bar".utf8)))))
        #expect(PlainRequestDecoder.decode(Array("get k".utf8)) == RequestLine(.range(RangeRequest(key: Array("k".utf8)))))
        for other in ["PUT k", "PUT k v --prev-kv", "GET a b", "PUT \"k\" v", "PUT k  v", "DEL k", "@bad! PUT k v", ""] {
            #expect(PlainRequestDecoder.decode(Array(other.utf8)) == nil, "\(other)")
        }
    }

    @Test func wordAtATimeCheckMatchesBytewise() {
        var rng = SeededGenerator(seed: 0x5a4)
        let interesting: [UInt8] = [0x00, 0x1f, 0x20, 0x21, 0x22, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xfe, 0xff, 0x41, 0x61]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Int.random(in: 0...3, using: &rng) == 0 ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0x21...0x7e, using: &rng)
            }
            let expected = bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7e && $0 != 0x22 && $0 != 0x5c }
            let actual = bytes.withUnsafeBufferPointer { $0.isEmpty ? true : PlainRequestDecoder.isPlain($0) }
            #expect(actual == expected, "\(bytes)")
        }
    }
}
