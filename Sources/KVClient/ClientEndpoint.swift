import KVPosix

/// An endpoint as a user writes it: `host:port`, `http://host:port` (plaintext) or `https://host:port`
/// (TLS), with an optional trailing `/`. IPv6 hosts are bracketed (`https://[::1]:2379`).
public struct ClientEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: Sendable, Equatable {
        /// No scheme: TLS when the client has TLS settings, else plaintext (etcd's rule).
        case none
        case http
        case https
    }

    public let scheme: Scheme
    /// `host:port`, as `SocketAddress(parsing:)` reads it.
    public let hostPort: String
    /// The host without brackets: what the server's certificate must name.
    public let host: String
    /// As given.
    public let description: String

    /// - Throws: `.connectionFailed` for a scheme other than http and https.
    public init(parsing text: String) throws(ClientError) {
        description = text
        var rest = Substring(text)
        if let schemeEnd = rest.firstRange(of: "://") {
            switch rest[..<schemeEnd.lowerBound].lowercased() {
            case "http": scheme = .http
            case "https": scheme = .https
            default:
                throw ClientError(kind: .connectionFailed,
                                  description: "invalid endpoint \(text): unsupported scheme \"\(rest[..<schemeEnd.lowerBound])\"")
            }
            rest = rest[schemeEnd.upperBound...]
        } else {
            scheme = .none
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        hostPort = String(rest)
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
        } else {
            host = String(rest)
        }
    }

    /// Whether this endpoint is spoken to over TLS, given whether the client has TLS settings.
    func usesTLS(configured: Bool) -> Bool {
        switch scheme {
        case .https: true
        case .http: false
        case .none: configured
        }
    }
}
