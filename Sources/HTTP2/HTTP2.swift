/// HTTP/2 (RFC 9113), server side, without sockets: see `HTTP2ServerConnection`.
public enum HTTP2 {
    /// The client connection preface (RFC 9113 §3.4).
    public static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
