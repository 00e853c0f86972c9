import KVProtocol

/// Cuts HTTP/1.0 and HTTP/1.1 requests out of a connection's input as bytes arrive (RFC 9112), within
/// fixed bounds, so that no client can make the server buffer more than about one request.
///
/// Call `next(from:)` after every read; it consumes what it has used and returns one event, or nil when
/// it needs more bytes. Events:
///
/// * `.request` — a whole request, its body read by `Content-Length` or de-chunked
///   (`Transfer-Encoding: chunked`, chunk extensions and trailers ignored);
/// * `.sendContinue` — a head asking `Expect: 100-continue` is complete and its body has not arrived:
///   answer `100 Continue` (the request follows once its body does);
/// * `.failure` — the request is malformed or over a limit; the status says which (below). The parser
///   then stops: a connection cannot be resynchronized after a framing error, so it must be closed.
///
/// | status | when |
/// |---|---|
/// | 400 | bad request line or header syntax (obs-fold, space before `:`, control bytes), missing or repeated `Host` in HTTP/1.1, bad or conflicting `Content-Length`, both `Content-Length` and `Transfer-Encoding`, `Transfer-Encoding` in HTTP/1.0 or not ending in `chunked`, a bad chunk |
/// | 413 | a body over `Limits.bodyBytes` (declared, or as chunks arrive) |
/// | 414 | a request line over `Limits.requestLineBytes` |
/// | 417 | an `Expect` other than `100-continue` |
/// | 431 | a head (request line and headers) over `Limits.headerBytes`, more than `Limits.headerFields` fields, or trailers over the head limit |
/// | 501 | a transfer coding other than `chunked` |
/// | 505 | an HTTP major version other than 1 (`HTTP/1.2` and later minors are read as 1.1) |
///
/// Lines may end in `\r\n` or `\n`; empty lines before a request line are skipped. Limits are checked
/// as bytes arrive, never after buffering past them: the input holds at most about one head
/// (`headerBytes`) or one chunk-size line, and a body is moved into the request as it arrives. The
/// events do not depend on how the input is split into reads.
struct HTTPRequestParser {
    struct Limits: Sendable {
        var requestLineBytes = 8192
        var headerBytes = 64 * 1024
        var headerFields = 100
        var bodyBytes: Int
        /// A chunk-size line, extensions included.
        var chunkLineBytes = 4096
    }

    struct Failure: Error, Equatable, Sendable {
        var status: HTTPStatus
        var message: String
    }

    enum Event: Equatable, Sendable {
        case request(HTTPRequest)
        case sendContinue
        case failure(Failure)
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed
    }

    let limits: Limits
    private var state = State.head
    /// Bytes at the start of the input already searched for the end of the head (or trailers): always
    /// the start of a line.
    private var scanned = 0
    private var lines = 0
    /// The request whose body is being read.
    private var pending: HTTPRequest?
    private var expectsContinue = false

    init(limits: Limits) {
        self.limits = limits
    }

    /// True while the input holds part of a request head (the slow-loris clock runs), false between
    /// requests and while a body is read.
    func isReadingHead(_ input: ByteBuffer) -> Bool {
        if case .head = state { return !input.isEmpty }
        return false
    }

    var hasFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    mutating func next(from input: inout ByteBuffer) -> Event? {
        while true {
            switch state {
            case .failed:
                return nil
            case .head:
                if let event = readHead(&input) { return event }
                // Still in the head: more bytes are needed. Otherwise a body follows, perhaps already here.
                if case .head = state { return nil }
            case .body(let remaining):
                let taken = take(&input, upTo: remaining)
                if taken < remaining {
                    state = .body(remaining: remaining - taken)
                    return nil
                }
                return finish()
            case .chunkSize:
                guard let newline = input.firstOffset(of: UInt8(ascii: "\n")) else {
                    if input.readableBytes > limits.chunkLineBytes { return fail(.badRequest, "chunk size line too long") }
                    return nil
                }
                if newline > limits.chunkLineBytes { return fail(.badRequest, "chunk size line too long") }
                let line = input.readBytes(count: newline + 1)!.dropLast()
                guard let size = chunkSize(line) else { return fail(.badRequest, "malformed chunk size") }
                if size == 0 {
                    state = .trailers
                    scanned = 0
                    lines = 0
                } else {
                    let received = pending?.body.count ?? 0
                    guard size <= limits.bodyBytes - received else {
                        return fail(.contentTooLarge, "request body over \(limits.bodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let taken = take(&input, upTo: remaining)
                if taken < remaining {
                    state = .chunkData(remaining: remaining - taken)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let first = input.getByte(at: 0) else { return nil }
                if first == UInt8(ascii: "\n") {
                    input.moveReaderIndex(forwardBy: 1)
                } else if first == UInt8(ascii: "\r") {
                    guard let second = input.getByte(at: 1) else { return nil }
                    guard second == UInt8(ascii: "\n") else { return fail(.badRequest, "chunk data not followed by CRLF") }
                    input.moveReaderIndex(forwardBy: 2)
                } else {
                    return fail(.badRequest, "chunk data longer than its size")
                }
                state = .chunkSize
            case .trailers:
                // Trailer fields are read and ignored, within the head limit.
                switch findEmptyLine(input, limit: limits.headerBytes) {
                case .none:
                    return nil
                case .some(.failure):
                    return fail(.headerFieldsTooLarge, "trailer section over \(limits.headerBytes) bytes")
                case .some(.success(let end)):
                    input.moveReaderIndex(forwardBy: end)
                    return finish()
                }
            }
        }
    }

    // MARK: Head

    private mutating func readHead(_ input: inout ByteBuffer) -> Event? {
        if scanned == 0 {
            // Empty lines before a request line are ignored (RFC 9112 §2.2).
            while let first = input.getByte(at: 0) {
                if first == UInt8(ascii: "\n") {
                    input.moveReaderIndex(forwardBy: 1)
                } else if first == UInt8(ascii: "\r") && input.getByte(at: 1) == UInt8(ascii: "\n") {
                    input.moveReaderIndex(forwardBy: 2)
                } else {
                    break
                }
            }
            if input.getByte(at: 0) == UInt8(ascii: "\r") && input.readableBytes == 1 { return nil }
            let firstLineEnd = input.firstOffset(of: UInt8(ascii: "\n"))
            if (firstLineEnd ?? input.readableBytes) > limits.requestLineBytes {
                return fail(.uriTooLong, "request line over \(limits.requestLineBytes) bytes")
            }
        }
        switch findEmptyLine(input, limit: limits.headerBytes) {
        case .none:
            return nil
        case .some(.failure(let failure)):
            return fail(failure.status, failure.message)
        case .some(.success(let end)):
            let head = input.readBytes(count: end)!
            scanned = 0
            lines = 0
            return parseHead(head)
        }
    }

    /// Searches the input, from `scanned`, for the empty line ending a head or trailer section.
    /// - Returns: the offset just past it, a failure once `limit` bytes or `headerFields` lines are
    ///   passed without one, or nil when more bytes are needed.
    private mutating func findEmptyLine(_ input: ByteBuffer, limit: Int) -> Result<Int, Failure>? {
        while let newline = input.firstOffset(of: UInt8(ascii: "\n"), from: scanned) {
            let length = newline - scanned
            let end = newline + 1
            if end > limit { break }
            if length == 0 || (length == 1 && input.getByte(at: scanned) == UInt8(ascii: "\r")) {
                return .success(end)
            }
            lines += 1
            if lines > limits.headerFields + 1 {
                return .failure(Failure(status: .headerFieldsTooLarge, message: "more than \(limits.headerFields) header fields"))
            }
            scanned = end
        }
        if input.readableBytes > limit {
            return .failure(Failure(status: .headerFieldsTooLarge, message: "request head over \(limit) bytes"))
        }
        return nil
    }

    private mutating func parseHead(_ head: [UInt8]) -> Event? {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        // The head ends with an empty line, which splitting leaves as two empty elements.
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { return fail(.badRequest, "empty request") }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(HTTPSyntax.isTokenByte),
              !parts[1].isEmpty, parts[1].allSatisfy(HTTPSyntax.isTargetByte) else {
            return fail(.badRequest, "malformed request line")
        }
        let version: HTTPRequest.Version
        switch self.version(parts[2]) {
        case .success(let parsed): version = parsed
        case .failure(let failure): return fail(failure.status, failure.message)
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        guard let (path, query) = HTTPRequestParser.split(target: target, method: method) else {
            return fail(.badRequest, "malformed request target")
        }

        var headers: [HTTPRequest.Header] = []
        headers.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[line.startIndex..<colon].allSatisfy(HTTPSyntax.isTokenByte) else {
                // Also catches obs-fold (a line starting with a space) and space before the colon.
                return fail(.badRequest, "malformed header field")
            }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else { return fail(.badRequest, "invalid byte in a header value") }
            let name = line[line.startIndex..<colon]
            headers.append(HTTPRequest.Header(name: String(decoding: name, as: UTF8.self),
                                              lowercasedName: HTTPSyntax.lowercased(name),
                                              value: String(decoding: value, as: UTF8.self)))
        }
        return framing(HTTPRequest(method: method, target: target, path: path, query: query, version: version,
                                   headers: headers, body: [], keepAlive: false, declaresBody: false))
    }

    /// `HTTP/1.1` → 1.1; `HTTP/1.0` → 1.0; later 1.x minors → 1.1; another major → 505.
    private func version(_ text: ArraySlice<UInt8>) -> Result<HTTPRequest.Version, Failure> {
        let bytes = Array(text)
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard bytes.count == 8, bytes.starts(with: Array("HTTP/".utf8)), digits.contains(bytes[5]),
              bytes[6] == UInt8(ascii: "."), digits.contains(bytes[7]) else {
            return .failure(Failure(status: .badRequest, message: "malformed HTTP version"))
        }
        guard bytes[5] == UInt8(ascii: "1") else {
            return .failure(Failure(status: .httpVersionNotSupported, message: "HTTP/\(bytes[5] - 0x30) is not supported"))
        }
        return .success(bytes[7] == UInt8(ascii: "0") ? .http10 : .http11)
    }

    /// The path (percent-decoded) and query of an origin-form (`/a?b`) or absolute-form
    /// (`http://host/a?b`) target, `*` for the asterisk form, the authority itself for CONNECT; nil
    /// for anything else or a bad percent-encoding.
    static func split(target: String, method: String) -> (path: String, query: String)? {
        if target == "*" { return ("*", "") }
        if method == "CONNECT" { return (target, "") }
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            let lower = rest.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return nil }
            rest = rest[rest.index(rest.startIndex, offsetBy: lower.hasPrefix("http://") ? 7 : 8)...]
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return ("/", "") }
            rest = rest[slash...]
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        let question = rest.firstIndex(of: "?")
        let rawPath = question.map { rest[..<$0] } ?? rest
        guard let path = HTTPRequest.percentDecoded(rawPath) else { return nil }
        return (path, question.map { String(rest[rest.index(after: $0)...]) } ?? "")
    }

    /// Decides the body's framing and the connection's persistence from the headers (RFC 9112 §6, §9.3).
    private mutating func framing(_ head: HTTPRequest) -> Event? {
        var request = head
        var hosts = 0
        var lengths: [String] = []
        var codings: [String] = []
        var connectionTokens: [String] = []
        var expectation: String?
        for header in request.headers {
            switch header.lowercasedName {
            case "host": hosts += 1
            case "content-length": lengths += HTTPRequestParser.list(header.value)
            case "transfer-encoding": codings += HTTPRequestParser.list(header.value).map { $0.lowercased() }
            case "connection": connectionTokens += HTTPRequestParser.list(header.value).map { $0.lowercased() }
            case "expect": expectation = header.value.lowercased()
            default: break
            }
        }
        if hosts > 1 || (hosts == 0 && request.version == .http11) {
            return fail(.badRequest, hosts > 1 ? "more than one Host header" : "missing required Host header")
        }
        if request.version == .http11 {
            request.keepAlive = !connectionTokens.contains("close")
        } else {
            request.keepAlive = connectionTokens.contains("keep-alive") && !connectionTokens.contains("close")
        }
        if let expectation {
            guard expectation == "100-continue" else { return fail(.expectationFailed, "unsupported expectation") }
            expectsContinue = request.version == .http11
        } else {
            expectsContinue = false
        }
        request.declaresBody = true
        pending = request
        if !codings.isEmpty {
            if request.version == .http10 { return fail(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            if !lengths.isEmpty { return fail(.badRequest, "both Content-Length and Transfer-Encoding") }
            guard codings.last == "chunked", codings.filter({ $0 == "chunked" }).count == 1 else {
                return fail(.badRequest, "chunked must be the final transfer coding, once")
            }
            guard codings.count == 1 else { return fail(.notImplemented, "unsupported transfer coding \(codings[0])") }
            state = .chunkSize
            return expectsContinue ? .sendContinue : nil
        }
        if !lengths.isEmpty {
            guard let first = lengths.first, lengths.allSatisfy({ $0 == first }), !first.isEmpty,
                  first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return fail(.badRequest, "invalid Content-Length")
            }
            let digits = first.drop { $0 == "0" }
            guard digits.count <= 18, let length = Int(digits.isEmpty ? "0" : digits), length <= limits.bodyBytes else {
                return fail(.contentTooLarge, "request body over \(limits.bodyBytes) bytes")
            }
            guard length > 0 else { return finish() }
            state = .body(remaining: length)
            return expectsContinue ? .sendContinue : nil
        }
        pending?.declaresBody = false
        return finish()
    }

    /// The elements of a comma-separated header list, trimmed, empty ones dropped.
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
    }

    // MARK: Body

    /// Moves up to `count` bytes of body from the input into the pending request; returns how many.
    private mutating func take(_ input: inout ByteBuffer, upTo count: Int) -> Int {
        let taken = min(count, input.readableBytes)
        guard taken > 0 else { return 0 }
        let view = input.readableView
        pending?.body.append(contentsOf: view[view.startIndex..<(view.startIndex + taken)])
        input.moveReaderIndex(forwardBy: taken)
        return taken
    }

    /// A chunk-size line's size (hex, optionally followed by `;extensions` or whitespace); nil when malformed.
    private func chunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        var size = 0
        var digits = 0
        var significant = 0
        for byte in line {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default:
                return nil
            }
            digits += 1
            if size > 0 || value > 0 { significant += 1 }
            // Past 15 significant hex digits a size no longer fits an Int; it is over any limit anyway.
            if significant > 15 { return Int.max }
            size = size << 4 | value
        }
        return digits > 0 ? size : nil
    }

    // MARK: Results

    private mutating func finish() -> Event? {
        state = .head
        scanned = 0
        lines = 0
        guard let request = pending else { return nil }
        pending = nil
        return .request(request)
    }

    private mutating func fail(_ status: HTTPStatus, _ message: String) -> Event {
        state = .failed
        pending = nil
        return .failure(Failure(status: status, message: message))
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
