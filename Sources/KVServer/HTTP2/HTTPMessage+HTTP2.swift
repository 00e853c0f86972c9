import HPACK

extension HTTPRequest {
    /// The request of an HTTP/2 header block (RFC 9113 §8.3.1), its body still to come: `:method`, and
    /// `:path` as the target (split and percent-decoded as `HTTPRequestParser` does), `:authority` as
    /// `host`, the other fields as headers (HTTP/2 names are lower-case already). Nil when `:path` is
    /// not a target HTTP/1.1 would take.
    init?(http2 fields: [HeaderField]) {
        var method = "", target = ""
        var headers: [Header] = []
        headers.reserveCapacity(fields.count)
        for field in fields {
            switch field.name {
            case ":method": method = field.value
            case ":path": target = field.value
            case ":authority": headers.append(Header(name: "host", lowercasedName: "host", value: field.value))
            default:
                if !field.name.hasPrefix(":") {
                    headers.append(Header(name: field.name, lowercasedName: field.name, value: field.value))
                }
            }
        }
        guard let (path, query) = HTTPRequestParser.split(target: target, method: method) else { return nil }
        self.init(method: method, target: target, path: path, query: query, version: .http2, headers: headers, body: [],
                  keepAlive: true, declaresBody: false)
    }
}

extension HTTPResponse {
    /// The head as HTTP/2 header fields (RFC 9113 §8.3.2): `:status`, `content-type`, the headers with
    /// their names lower-cased (as HTTP/2 requires), `content-length` for a whole response (nil: a
    /// streamed one), and `date`, as Go's server sends them.
    func http2Head(contentLength: Int?, date: String) -> [HeaderField] {
        var fields = [HeaderField(":status", String(status.code))]
        fields.reserveCapacity(headers.count + 4)
        if let contentType { fields.append(HeaderField("content-type", contentType)) }
        for header in headers { fields.append(HeaderField(header.name.lowercased(), header.value)) }
        if let contentLength { fields.append(HeaderField("content-length", String(contentLength))) }
        fields.append(HeaderField("date", date))
        return fields
    }
}
