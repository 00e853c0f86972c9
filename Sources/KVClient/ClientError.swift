import KVPosix
import KVProtocol
import KVStore

/// Why a client operation failed. `description` is the text to show a person, e.g.
/// `dial tcp 127.0.0.1:2379: connect: connection refused`, or for `.server` the server's etcd message.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No endpoint could be reached (refused, unreachable, dial timeout, bad address).
        case connectionFailed
        /// A command got no reply within the command timeout.
        case timeout
        /// The server sent something that is not a valid reply.
        case protocolError
        /// The server answered with an `ERR` reply; `wire` holds it.
        case server
        /// The connection is closed (by `close()`, by the server, or after an earlier fatal error),
        /// or the watch has ended.
        case closed
        /// The TLS handshake failed: the server's certificate is not trusted or names another host,
        /// the server refused the client's certificate, or the endpoint does not speak TLS. The
        /// description is Go's wording (`x509: certificate signed by unknown authority`).
        case handshakeFailed
        /// The TLS settings cannot be used: a missing or unreadable file, a file that is not PEM, a key
        /// that is not the certificate's, TLS settings with an `http://` endpoint, or no OpenSSL 3.
        case tlsConfiguration
    }

    public let kind: Kind
    /// For `.server`: the server's error (code and etcd message).
    public let wire: WireError?
    public let description: String

    public init(kind: Kind, wire: WireError? = nil, description: String) {
        self.kind = kind
        self.wire = wire
        self.description = description
    }

    static func server(_ error: WireError) -> ClientError {
        ClientError(kind: .server, wire: error, description: error.message)
    }

    /// etcd's wording for dial failures: `dial tcp <endpoint>: connect: connection refused`.
    static func dial(_ endpoint: String, _ error: PosixError) -> ClientError {
        if error.code == 110 /* ETIMEDOUT */ {
            return ClientError(kind: .connectionFailed, description: "dial tcp \(endpoint): i/o timeout")
        }
        return ClientError(kind: .connectionFailed,
                           description: "dial tcp \(endpoint): \(error.call): \(error.message.lowercasedFirst)")
    }
}

extension String {
    /// "Connection refused" → "connection refused", as Go's error texts read.
    var lowercasedFirst: String {
        guard let first = first else { return self }
        return first.lowercased() + dropFirst()
    }
}

extension Duration {
    /// Whole nanoseconds, clamped at 0 and at `UInt64.max`.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (whole, o1) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return o1 || o2 ? UInt64.max : sum
    }

    /// `5s`, `1.5s`, `200ms` for messages.
    var shortText: String {
        let nanos = nanoseconds
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        return "\(nanos / 1_000_000)ms"
    }
}
