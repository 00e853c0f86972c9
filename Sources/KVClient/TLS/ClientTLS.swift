import Glibc
import COpenSSL
import KVPosix

/// A client's TLS settings, loaded once and shared by its connections: which CA certificates the server's
/// certificate must chain to, the client's own certificate, and whether to verify at all. The protocol is
/// the system's OpenSSL 3, loaded on first use (`COpenSSL`): a process that never creates a `ClientTLS`
/// never maps libssl.
///
///     let tls = try ClientTLS(ClientTLS.Configuration(caFile: "ca.pem", certFile: "client.pem", keyFile: "client-key.pem"))
///     let client = try KVClient(endpoints: ["https://127.0.0.1:2379"], tls: tls)
///
/// As etcd's client: TLS 1.2 or later; the server's certificate must name the endpoint's host (a DNS name,
/// or an IP address among its IP SANs); ALPN offers `h2` for gRPC connections and nothing otherwise, so
/// kvserver reads the line protocol.
public final class ClientTLS: @unchecked Sendable {
    // @unchecked: the OpenSSL context is configured in init and never changed; OpenSSL allows sharing it.

    public struct Configuration: Sendable, Equatable {
        /// PEM CA certificates to trust; nil: the system's trust store.
        public var caFile: String?
        /// The client's certificate chain and private key (PEM), both or neither.
        public var certFile: String?
        public var keyFile: String?
        /// Accept any server certificate, for any host (etcdctl's `--insecure-skip-tls-verify`).
        public var skipVerify: Bool

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, skipVerify: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.skipVerify = skipVerify
        }
    }

    public let configuration: Configuration
    private let context: OpaquePointer

    /// Loads OpenSSL (once per process) and the files.
    /// - Throws: `.tlsConfiguration` with etcd's wording: `open ca.pem: no such file or directory`,
    ///   `KeyFile and CertFile must both be present[key: k.pem, cert: ]`,
    ///   `tls: failed to find any PEM data in certificate input`, `tls: private key does not match public key`,
    ///   or why OpenSSL 3 cannot be loaded.
    public init(_ configuration: Configuration) throws(ClientError) {
        if (configuration.certFile == nil) != (configuration.keyFile == nil) {
            throw ClientError(kind: .tlsConfiguration,
                              description: "KeyFile and CertFile must both be present[key: \(configuration.keyFile ?? ""), cert: \(configuration.certFile ?? "")]")
        }
        for path in [configuration.certFile, configuration.keyFile, configuration.caFile].compactMap({ $0 }) {
            if let problem = ClientTLS.unreadable(path) {
                throw ClientError(kind: .tlsConfiguration, description: problem)
            }
        }
        var error = [CChar](repeating: 0, count: 1024)
        guard let context = kv_tls_client_new(configuration.caFile, configuration.certFile, configuration.keyFile,
                                              configuration.skipVerify ? 1 : 0, &error, error.count) else {
            throw ClientError(kind: .tlsConfiguration, description: error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        self.configuration = configuration
        self.context = context
    }

    deinit { kv_tls_client_free(context) }

    /// Go's wording when `path` cannot be read: `open x: no such file or directory`, `read x: is a directory`.
    static func unreadable(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "open \(path): \(ClientTLS.goText(errno))" }
        defer { close(fd) }
        var byte: UInt8 = 0
        if read(fd, &byte, 1) < 0 { return "read \(path): \(ClientTLS.goText(errno))" }
        return nil
    }

    /// strerror as Go prints it: lower case (`no such file or directory`).
    static func goText(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercasedFirst
    }

    /// A client session over `socket` (connected, non-blocking), verifying `host`; offering HTTP/2 by ALPN
    /// when `offerH2` (for gRPC), else no protocol (kvserver then reads the line protocol).
    public func session(for socket: Socket, host: String, offerH2: Bool = false) -> TLSClientSession? {
        guard let session = kv_tls_client_session_new(context, socket.fd.rawValue, host) else { return nil }
        let made = TLSClientSession(session)
        if offerH2 && kv_tls_client_offer_h2(session) != 1 { return nil }
        return made
    }
}
