import Glibc
import KVProtocol

/// A response to encode: status, content type, extra headers and a body. `Date`, `Content-Length` and
/// (when the connection is not kept open, or is kept open for HTTP/1.0) `Connection` are added when it
/// is written.
struct HTTPResponse: Equatable {
    var status: HTTPStatus
    var contentType: String?
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []

    static let jsonContentType = "application/json"
    static let textContentType = "text/plain; charset=utf-8"

    static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    static func json(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: jsonContentType, body: Array(text.utf8))
    }

    /// A plain-text error as Go's `http.Error` writes it (etcd's handlers use it): the text and a
    /// newline, `text/plain; charset=utf-8`, `X-Content-Type-Options: nosniff`.
    static func error(_ status: HTTPStatus, _ text: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, contentType: textContentType,
                     headers: headers + [("X-Content-Type-Options", "nosniff")], body: Array((text + "\n").utf8))
    }

    /// Writes the status line, headers and body.
    /// - Parameters:
    ///   - keepAlive: false adds `Connection: close`.
    ///   - version: the request's; an HTTP/1.0 request kept alive gets `Connection: keep-alive`.
    func encode(into buffer: inout ByteBuffer, keepAlive: Bool, version: HTTPRequest.Version, date: String) {
        buffer.writeString("HTTP/1.1 \(status.code) \(status.reason)\r\nDate: \(date)\r\n")
        if let contentType { buffer.writeString("Content-Type: \(contentType)\r\n") }
        for header in headers { buffer.writeString("\(header.name): \(header.value)\r\n") }
        buffer.writeASCII("Content-Length: ")
        buffer.writeDecimal(body.count)
        buffer.writeASCII("\r\n")
        if !keepAlive {
            buffer.writeASCII("Connection: close\r\n")
        } else if version == .http10 {
            buffer.writeASCII("Connection: keep-alive\r\n")
        }
        buffer.writeASCII("\r\n")
        buffer.writeBytes(body)
    }

    /// Writes the head of a response whose body is streamed: chunked for HTTP/1.1; for HTTP/1.0, which
    /// has no chunks, delimited by closing the connection (`Connection: close`).
    func encodeStreamHead(into buffer: inout ByteBuffer, version: HTTPRequest.Version, date: String) {
        buffer.writeString("HTTP/1.1 \(status.code) \(status.reason)\r\nDate: \(date)\r\n")
        if let contentType { buffer.writeString("Content-Type: \(contentType)\r\n") }
        for header in headers { buffer.writeString("\(header.name): \(header.value)\r\n") }
        buffer.writeASCII(version == .http11 ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n")
    }

    /// Writes one chunk of a chunked body (`size CRLF data CRLF`); nothing for empty data (a zero-size
    /// chunk would end the body).
    static func encodeChunk(_ data: [UInt8], into buffer: inout ByteBuffer) {
        guard !data.isEmpty else { return }
        buffer.writeString(String(data.count, radix: 16))
        buffer.writeASCII("\r\n")
        buffer.writeBytes(data)
        buffer.writeASCII("\r\n")
    }

    /// Now as an HTTP date (IMF-fixdate, RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func date(secondsSinceEpoch seconds: Int = time(nil)) -> String {
        var value = time_t(seconds)
        var parts = tm()
        gmtime_r(&value, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
