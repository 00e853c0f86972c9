/// Why an address string could not be turned into a ``SocketAddress``.
///
/// Each case carries the offending input so that `description` is a complete, user-facing
/// message, e.g. `https://127.0.0.1:2379: TLS is not supported; use http:// or host:port`.
public enum AddressError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The input was empty (or only a scheme).
    case empty
    /// The input used `https://`; this server speaks plain TCP only.
    case tlsUnsupported(input: String)
    /// A scheme other than `http://` (for example `unix://`).
    case unsupportedScheme(scheme: String, input: String)
    /// No `:port` after the host.
    case missingPort(input: String)
    /// The port is not a decimal number in 0...65535.
    case invalidPort(port: String, input: String)
    /// The host part is malformed (for example an IPv6 address without brackets).
    case invalidHost(host: String, reason: String, input: String)
    /// The host name could not be resolved; `reason` is the resolver's message.
    case unresolvable(host: String, reason: String, input: String)

    public var description: String {
        switch self {
        case .empty:
            "empty address: expected host:port"
        case .tlsUnsupported(let input):
            "\(input): TLS is not supported; use http:// or host:port"
        case .unsupportedScheme(let scheme, let input):
            "\(input): unsupported scheme \"\(scheme)\"; use http:// or host:port"
        case .missingPort(let input):
            "\(input): missing port; expected host:port"
        case .invalidPort(let port, let input):
            "\(input): invalid port \"\(port)\"; expected a number from 0 to 65535"
        case .invalidHost(let host, let reason, let input):
            "\(input): invalid host \"\(host)\": \(reason)"
        case .unresolvable(let host, let reason, let input):
            "\(input): cannot resolve \"\(host)\": \(reason)"
        }
    }
}
