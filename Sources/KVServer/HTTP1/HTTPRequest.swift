/// One HTTP request, its head and its whole body (de-chunked): parsed from HTTP/1.x by
/// `HTTPRequestParser`, or read from an HTTP/2 stream (`HTTP2RequestStream`). The handlers answer it the
/// same way whichever it came on.
struct HTTPRequest: Equatable, Sendable {
    enum Version: Equatable, Sendable {
        case http10, http11
        /// A request on an HTTP/2 stream that is not gRPC (its response is framed by HTTP/2).
        case http2

        var text: String {
            switch self {
            case .http10: "HTTP/1.0"
            case .http11: "HTTP/1.1"
            case .http2: "HTTP/2.0"
            }
        }
    }

    struct Header: Equatable, Sendable {
        /// As sent (compare with `lowercasedName`).
        var name: String
        var lowercasedName: String
        /// Without leading and trailing spaces or tabs.
        var value: String
    }

    var method: String
    /// The request target as sent (`/health?exclude=NOSPACE`, `http://host/health`, `*`).
    var target: String
    /// The target's path, percent-decoded (`/health`); `*` for the asterisk form.
    var path: String
    /// The target's query, still encoded, without the `?` (empty when there is none).
    var query: String
    var version: Version
    var headers: [Header]
    var body: [UInt8]
    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`.
    var keepAlive: Bool
    /// Whether the request framed a body (`Content-Length`, even 0, or chunked). Without either, an
    /// HTTP/1.1 request has no body.
    var declaresBody: Bool

    /// The largest body read, over HTTP/1.1 and HTTP/2 alike: a gateway request at `--max-request-bytes`
    /// arrives as base64 in JSON (4/3 of its bytes and some syntax), so the body may be that much
    /// larger, plus the 512 KiB of overhead etcd allows its gRPC messages; the decoded request is then
    /// held to the limit itself, with etcd's error.
    static func bodyLimit(maxRequestBytes: Int) -> Int {
        let (scaled, overflow) = maxRequestBytes.multipliedReportingOverflow(by: 4)
        return overflow ? Int.max / 2 : scaled / 3 + 512 * 1024
    }

    /// The first header of that name (give it lower-case), or nil.
    func header(_ lowercasedName: String) -> String? {
        headers.first { $0.lowercasedName == lowercasedName }?.value
    }

    /// The values of a query parameter (`exclude` in `?exclude=NOSPACE&exclude=CORRUPT`), percent-decoded.
    func queryValues(_ name: String) -> [String] {
        query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard HTTPRequest.percentDecoded(Substring(parts[0])) == name else { return nil }
            return parts.count > 1 ? HTTPRequest.percentDecoded(parts[1]) : ""
        }
    }

    /// `%41` → `A`, `+` left as it is; nil when a `%` is not followed by two hex digits.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
