import HPACK

/// The HTTP/2 rules a header list must follow (RFC 9113 §8.2, §8.3) before the app sees it. A list that
/// breaks one is "malformed": a stream error of type PROTOCOL_ERROR (§8.1.1). The gRPC layer checks the
/// values of `:method`, `:path` and `content-type`; this checks the framing-level rules only.
enum HeaderValidation {
    /// What a valid request's headers tell the connection.
    struct Request {
        var contentLength: Int?
    }

    /// Checks a request's header list: lower-case names without separators, pseudo-headers first and
    /// each known one at most once, no connection-specific fields, `te` only "trailers", field values
    /// without NUL/CR/LF, and `:method`, `:scheme`, `:path` present (only `:method` + `:authority` for
    /// CONNECT). Returns nil when malformed.
    static func request(_ fields: [HeaderField]) -> Request? {
        var seenRegular = false
        var method: Substring?
        var hasScheme = false, hasPath = false, hasAuthority = false, hasProtocol = false
        var request = Request()
        for field in fields {
            guard validValue(field.value) else { return nil }
            let name = field.name.utf8
            guard let first = name.first else { return nil }
            if first == UInt8(ascii: ":") {
                guard !seenRegular else { return nil }
                switch field.name {
                case ":method":
                    guard method == nil, !field.value.isEmpty else { return nil }
                    method = field.value[...]
                case ":scheme":
                    guard !hasScheme else { return nil }
                    hasScheme = true
                case ":path":
                    guard !hasPath, !field.value.isEmpty else { return nil }
                    hasPath = true
                case ":authority":
                    guard !hasAuthority else { return nil }
                    hasAuthority = true
                case ":protocol":  // RFC 8441 extended CONNECT
                    guard !hasProtocol else { return nil }
                    hasProtocol = true
                default:
                    return nil
                }
                continue
            }
            seenRegular = true
            guard validRegularField(field) else { return nil }
            if field.name == "content-length" {
                guard let length = contentLength(field.value),
                      request.contentLength == nil || request.contentLength == length else { return nil }
                request.contentLength = length
            }
        }
        guard let method else { return nil }
        if method == "CONNECT" && !hasProtocol {
            guard hasAuthority, !hasScheme, !hasPath else { return nil }
        } else {
            guard hasScheme, hasPath else { return nil }
        }
        return request
    }

    /// Checks a trailer list: the regular-field rules, and no pseudo-headers at all (§8.1).
    static func trailers(_ fields: [HeaderField]) -> Bool {
        for field in fields {
            guard validValue(field.value), validRegularField(field) else { return false }
        }
        return true
    }

    /// A regular field: its name non-empty, without upper case (§8.2.1) or characters that could
    /// smuggle structure (controls, space, ':', DEL, non-ASCII), not connection-specific (§8.2.2), and
    /// `te` only with the value "trailers".
    private static func validRegularField(_ field: HeaderField) -> Bool {
        let name = field.name.utf8
        guard !name.isEmpty else { return false }
        for byte in name {
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { return false }
            if byte <= 0x20 || byte >= 0x7f || byte == UInt8(ascii: ":") { return false }
        }
        switch name.count {
        case 2, 7, 10, 16, 17:
            let text = field.name
            if text == "te" { return field.value == "trailers" }
            return text != "upgrade" && text != "connection" && text != "keep-alive"
                && text != "proxy-connection" && text != "transfer-encoding"
        default:
            return true
        }
    }

    /// Field values must not contain NUL, CR or LF (§8.2.1).
    private static func validValue(_ value: String) -> Bool {
        let checked = value.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte == 0 || byte == 0x0a || byte == 0x0d { return false }
            return true
        }
        if let checked { return checked }
        for byte in value.utf8 where byte == 0 || byte == 0x0a || byte == 0x0d { return false }
        return true
    }

    private static func contentLength(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18 else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
