import COpenSSL
import Glibc
import KVPosix

/// A listener's TLS configuration, loaded once at start and shared by every event loop: the server's
/// certificate chain and private key (`--cert-file`, `--key-file`), ALPN `h2` and `http/1.1`, TLS 1.2
/// or later. The protocol itself is the system's OpenSSL 3 (`COpenSSL`); nothing here encrypts.
///
/// With `--client-cert-auth` or `--trusted-ca-file` (as in etcd, either one), every client must present
/// a certificate signed by the trusted CA (the system's trust store when only `--client-cert-auth` is
/// given): one without is refused at the handshake.
///
/// With `--client-crl-file`, a client whose certificate the PEM CRLs there list as revoked is refused
/// at the handshake, as etcd refuses it (see `kv_tls_server_set_crl_file`); with
/// `--client-cert-allowed-hostname`, so is one whose certificate does not name that host.
///
/// Creating one checks what etcd checks at start, with a clear message: the files exist and are
/// readable, hold PEM, and the key is the certificate's.
final class TLSServerContext: @unchecked Sendable {
    // @unchecked: an OpenSSL SSL_CTX is safe to share once configured; it is never changed after init.
    let certFile: String
    /// What the log calls the certificate: its file, or `a self-signed certificate (--auto-tls)`.
    let origin: String
    let keyFile: String
    let trustedCAFile: String?
    /// The CRLs of revoked client certificates (`--client-crl-file`), if any.
    let clientCRLFile: String?
    /// The host every client certificate must name (`--client-cert-allowed-hostname`), if any.
    let clientCertAllowedHostname: String?
    /// Whether clients must present a certificate the trusted CA signed.
    let verifiesClients: Bool
    fileprivate let server: OpaquePointer

    /// - Parameter cipherSuites: etcd's `--cipher-suites` (Go's names, already checked): the TLS 1.2
    ///   suites served, in order; empty: OpenSSL's defaults.
    /// - Throws: `TLSConfigError` naming the file and the reason.
    init(certFile: String, keyFile: String, trustedCAFile: String? = nil, clientCertAuth: Bool = false,
         clientCRLFile: String? = nil, clientCertAllowedHostname: String? = nil, cipherSuites: [String] = [],
         origin: String? = nil) throws(TLSConfigError) {
        var files = [(certFile, "--cert-file"), (keyFile, "--key-file")]
        if let trustedCAFile { files.append((trustedCAFile, "--trusted-ca-file")) }
        if let clientCRLFile { files.append((clientCRLFile, "--client-crl-file")) }
        for (path, what) in files {
            guard !path.isEmpty else { throw TLSConfigError("\(what) must not be empty") }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw TLSConfigError("\(what): open \(path): \(String(cString: strerror(errno)))")
            }
            Glibc.close(fd)
        }
        var error = [CChar](repeating: 0, count: 1024)
        let verifiesClients = clientCertAuth || trustedCAFile != nil
        guard let server = kv_tls_server_new(certFile, keyFile, trustedCAFile, verifiesClients ? 1 : 0, &error, error.count) else {
            throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        if !cipherSuites.isEmpty && kv_tls_server_set_ciphers(server, CipherSuites.openSSLList(cipherSuites), &error, error.count) != 1 {
            kv_tls_server_free(server)
            throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        if let clientCRLFile {
            // ServerConfig.checkTLS refuses a CRL without client certificates to check.
            precondition(verifiesClients, "--client-crl-file without client certificate verification")
            guard kv_tls_server_set_crl_file(server, clientCRLFile, &error, error.count) > 0 else {
                kv_tls_server_free(server)
                throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        if let clientCertAllowedHostname {
            precondition(verifiesClients, "--client-cert-allowed-hostname without client certificate verification")
            guard kv_tls_server_set_allowed_hostname(server, TLSServerContext.hostToVerify(clientCertAllowedHostname), &error,
                                                     error.count) == 1 else {
                kv_tls_server_free(server)
                throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        self.certFile = certFile
        self.origin = origin ?? certFile
        self.keyFile = keyFile
        self.trustedCAFile = trustedCAFile
        self.clientCRLFile = clientCRLFile
        self.clientCertAllowedHostname = clientCertAllowedHostname
        self.verifiesClients = verifiesClients
        self.server = server
        // OpenSSL writes to the socket with write(2), which raises SIGPIPE when the peer is gone.
        Signals.ignoreBrokenPipe()
    }

    deinit { kv_tls_server_free(server) }

    /// A host as Go's `VerifyHostname` compares it: `[::1]` is `::1`, `Example.COM.` is `example.com`.
    static func hostToVerify(_ host: String) -> String {
        var text = Substring(host)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if text.hasSuffix(".") { text = text.dropLast() }
        return text.lowercased()
    }

    /// A server-side session over `socket`; nil when OpenSSL cannot allocate one.
    func makeSession(for socket: Socket) -> TLSSession? {
        guard let session = kv_tls_session_new(server, socket.fd.rawValue) else { return nil }
        return TLSSession(session)
    }
}

/// TLS files that cannot serve: the message is printed as is before kvserver exits.
struct TLSConfigError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One connection's TLS state (an OpenSSL `SSL`), owned by its `ClientTransport` on one loop thread.
final class TLSSession {
    enum Step: Equatable {
        case done, wantRead, wantWrite, closed
        case failed(String)
    }

    private let session: OpaquePointer
    private(set) var isHandshakeDone = false

    fileprivate init(_ session: OpaquePointer) { self.session = session }

    deinit { kv_tls_session_free(session) }

    /// Advances the handshake without blocking.
    func handshake() -> Step {
        let result = kv_tls_handshake(session)
        if Int(result) == KV_TLS_DONE { isHandshakeDone = true }
        return step(Int(result))
    }

    /// The protocol chosen by ALPN (`h2`, `http/1.1`), nil when the client offered none we serve.
    var negotiatedProtocol: String? {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = kv_tls_alpn(session, &buffer, buffer.count)
        return length == 0 ? nil : buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    var version: String { String(cString: kv_tls_version(session)) }

    /// The Common Name of the client's verified certificate, if it presented one.
    var peerCommonName: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = kv_tls_peer_common_name(session, &buffer, buffer.count)
        return length == 0 ? nil : buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Decrypted bytes already inside OpenSSL.
    var pending: Int { Int(kv_tls_pending(session)) }

    /// A byte count > 0, or the reason there is none.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result {
        Result(kv_tls_read(session, buffer.baseAddress, buffer.count), session)
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> Result {
        Result(kv_tls_write(session, buffer.baseAddress, buffer.count), session)
    }

    /// Sends close_notify if the handshake finished; never waits.
    func shutdown() { kv_tls_shutdown(session) }

    enum Result {
        case bytes(Int)
        case step(Step)

        fileprivate init(_ value: Int, _ session: OpaquePointer) {
            if value > 0 {
                self = .bytes(value)
            } else {
                self = .step(TLSSession.step(Int(value), session))
            }
        }
    }

    private func step(_ result: Int) -> Step { TLSSession.step(result, session) }

    private static func step(_ result: Int, _ session: OpaquePointer) -> Step {
        switch result {
        case KV_TLS_DONE: .done
        case KV_TLS_WANT_READ: .wantRead
        case KV_TLS_WANT_WRITE: .wantWrite
        case KV_TLS_CLOSED: .closed
        default: .failed(String(cString: kv_tls_session_error(session)))
        }
    }
}
