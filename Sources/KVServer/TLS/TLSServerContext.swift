import COpenSSL
import Glibc
import KVPosix
import KVSync

/// A listener's TLS configuration, shared by every event loop: the server's certificate chain and
/// private key (`--cert-file`, `--key-file`), ALPN `h2` and `http/1.1`, TLS 1.2 or later. The protocol
/// itself is the system's OpenSSL 3 (`COpenSSL`); nothing here encrypts.
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
///
/// **Rotation.** As etcd reloads its certificates for new connections, a new connection finds the
/// files changed (checked at most once a second: device, inode, size, modification time) and loads
/// them again: a renewed certificate (cert-manager, certbot) is served without a restart. Files that
/// do not load (half written, a key of another certificate) leave the previous configuration in
/// service, with a warning naming the reason; connections already open keep theirs. A served
/// certificate that expires is warned about once (on the first connection after its end).
final class TLSServerContext: @unchecked Sendable {
    // @unchecked: the loaded OpenSSL configuration is swapped under `loaded`'s lock; each one, once
    // configured, is never changed, and OpenSSL allows sharing it between threads.

    /// What the configuration is loaded from: the files and flags.
    struct Settings: Sendable {
        var certFile: String
        var keyFile: String
        var trustedCAFile: String?
        var clientCertAuth: Bool
        var clientCRLFile: String?
        var clientCertAllowedHostname: String?
        var cipherSuites: [String]
        var files: [String] { [certFile, keyFile] + [trustedCAFile, clientCRLFile].compactMap { $0 } }
    }

    /// One loaded OpenSSL server configuration; freed when the last session using it is gone.
    fileprivate final class Loaded: @unchecked Sendable {
        // @unchecked: configured in init, never changed after.
        let server: OpaquePointer
        init(_ server: OpaquePointer) { self.server = server }
        deinit { kv_tls_server_free(server) }
    }

    /// A file's identity and version, as `stat` gives it.
    struct FileStamp: Equatable, Sendable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = info.st_mtim.tv_sec
            nanoseconds = info.st_mtim.tv_nsec
        }
    }

    private struct Current {
        var loaded: Loaded
        var stamps: [FileStamp?]
        var checkedAt: UInt64
        /// The stamps of files that failed to load: warned about once, tried again when they change.
        var refused: [FileStamp?]?
        /// Whether the served certificate was found expired (warned about once per configuration).
        var expiryReported = false
    }

    let settings: Settings
    var certFile: String { settings.certFile }
    var keyFile: String { settings.keyFile }
    var trustedCAFile: String? { settings.trustedCAFile }
    var clientCRLFile: String? { settings.clientCRLFile }
    var clientCertAllowedHostname: String? { settings.clientCertAllowedHostname }
    /// What the log calls the certificate: its file, or `a self-signed certificate (--auto-tls)`.
    let origin: String
    /// Whether clients must present a certificate the trusted CA signed.
    let verifiesClients: Bool
    /// Whether changed files are loaded again (not for a certificate that lives in memory only).
    let reloads: Bool
    private let log: @Sendable (_ warning: Bool, _ message: String) -> Void
    private let current: Locked<Current>

    /// How often, at most, new connections look at the files' stamps.
    static let reloadCheckInterval: UInt64 = 1_000_000_000

    /// - Parameter cipherSuites: etcd's `--cipher-suites` (Go's names, already checked): the TLS 1.2
    ///   suites served, in order; empty: OpenSSL's defaults.
    /// - Parameter log: told of each reload (false) and of files that failed to reload (true: a warning).
    /// - Throws: `TLSConfigError` naming the file and the reason.
    init(certFile: String, keyFile: String, trustedCAFile: String? = nil, clientCertAuth: Bool = false,
         clientCRLFile: String? = nil, clientCertAllowedHostname: String? = nil, cipherSuites: [String] = [],
         origin: String? = nil, reloads: Bool = true,
         log: @escaping @Sendable (_ warning: Bool, _ message: String) -> Void = { _, _ in }) throws(TLSConfigError) {
        let settings = Settings(certFile: certFile, keyFile: keyFile, trustedCAFile: trustedCAFile, clientCertAuth: clientCertAuth,
                                clientCRLFile: clientCRLFile, clientCertAllowedHostname: clientCertAllowedHostname,
                                cipherSuites: cipherSuites)
        let stamps = settings.files.map(FileStamp.init)
        let loaded = try TLSServerContext.load(settings)
        self.settings = settings
        self.origin = origin ?? certFile
        self.verifiesClients = clientCertAuth || trustedCAFile != nil
        self.reloads = reloads
        self.log = log
        current = Locked(Current(loaded: loaded, stamps: stamps, checkedAt: Posix.monotonicNanoseconds(), refused: nil))
        // OpenSSL writes to the socket with write(2), which raises SIGPIPE when the peer is gone.
        Signals.ignoreBrokenPipe()
    }

    /// A `log` for init that writes reloads as info lines and failed reloads as warnings.
    static func logging(to logger: Logger) -> @Sendable (Bool, String) -> Void {
        { warning, message in if warning { logger.warn(message) } else { logger.info(message) } }
    }

    /// Loads the files into a new OpenSSL configuration. - Throws: `TLSConfigError` naming the file and the reason.
    private static func load(_ settings: Settings) throws(TLSConfigError) -> Loaded {
        var files = [(settings.certFile, "--cert-file"), (settings.keyFile, "--key-file")]
        if let trustedCAFile = settings.trustedCAFile { files.append((trustedCAFile, "--trusted-ca-file")) }
        if let clientCRLFile = settings.clientCRLFile { files.append((clientCRLFile, "--client-crl-file")) }
        for (path, what) in files {
            guard !path.isEmpty else { throw TLSConfigError("\(what) must not be empty") }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw TLSConfigError("\(what): open \(path): \(String(cString: strerror(errno)))")
            }
            Glibc.close(fd)
        }
        var error = [CChar](repeating: 0, count: 1024)
        let verifiesClients = settings.clientCertAuth || settings.trustedCAFile != nil
        guard let server = kv_tls_server_new(settings.certFile, settings.keyFile, settings.trustedCAFile, verifiesClients ? 1 : 0,
                                             &error, error.count) else {
            throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        let loaded = Loaded(server)  // frees the configuration on the failures below
        if !settings.cipherSuites.isEmpty
            && kv_tls_server_set_ciphers(server, CipherSuites.openSSLList(settings.cipherSuites), &error, error.count) != 1 {
            throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        if let clientCRLFile = settings.clientCRLFile {
            // ServerConfig.checkTLS refuses a CRL without client certificates to check.
            precondition(verifiesClients, "--client-crl-file without client certificate verification")
            guard kv_tls_server_set_crl_file(server, clientCRLFile, &error, error.count) > 0 else {
                throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        if let host = settings.clientCertAllowedHostname {
            precondition(verifiesClients, "--client-cert-allowed-hostname without client certificate verification")
            guard kv_tls_server_set_allowed_hostname(server, TLSServerContext.hostToVerify(host), &error, error.count) == 1 else {
                throw TLSConfigError(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        return loaded
    }

    /// When the certificate of `loaded` stopped being valid, as OpenSSL prints it; nil while it is valid.
    private static func expiry(of loaded: Loaded) -> String? {
        var when = [CChar](repeating: 0, count: 64)
        guard kv_tls_server_expired(loaded.server, &when, when.count) == 1 else { return nil }
        return when.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A host as Go's `VerifyHostname` compares it: `[::1]` is `::1`, `Example.COM.` is `example.com`.
    static func hostToVerify(_ host: String) -> String {
        var text = Substring(host)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if text.hasSuffix(".") { text = text.dropLast() }
        return text.lowercased()
    }

    /// A server-side session over `socket` with the current configuration (loaded again first if its
    /// files changed); nil when OpenSSL cannot allocate one.
    func makeSession(for socket: Socket) -> TLSSession? {
        let loaded = currentConfiguration()
        guard let session = kv_tls_session_new(loaded.server, socket.fd.rawValue) else { return nil }
        return TLSSession(session, configuration: loaded)
    }

    /// The configuration new connections get: the files are looked at once a second, and loaded again
    /// (outside the lock) when they changed.
    private func currentConfiguration() -> Loaded {
        let now = Posix.monotonicNanoseconds()
        let (loaded, changed): (Loaded, [FileStamp?]?) = current.withLock { current in
            guard reloads, now &- current.checkedAt >= TLSServerContext.reloadCheckInterval else { return (current.loaded, nil) }
            current.checkedAt = now
            if !current.expiryReported, let end = TLSServerContext.expiry(of: current.loaded) {
                current.expiryReported = true
                log(true, "the TLS certificate \(origin) expired on \(end): clients refuse it; replace the files (they are loaded again for new connections)")
            }
            let stamps = settings.files.map(FileStamp.init)
            if stamps == current.stamps || stamps == current.refused { return (current.loaded, nil) }
            return (current.loaded, stamps)
        }
        guard let stamps = changed else { return loaded }
        do {
            let fresh = try TLSServerContext.load(settings)
            current.withLock { current in
                current.loaded = fresh
                current.stamps = stamps
                current.refused = nil
                current.expiryReported = false
            }
            log(false, "TLS files changed: reloaded \(settings.files.joined(separator: ", ")) for new connections")
            return fresh
        } catch {
            current.withLock { $0.refused = stamps }
            log(true, "TLS files changed but cannot be loaded (\(error)); new connections keep the previous certificate")
            return loaded
        }
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
    /// The configuration the session was made with, kept while it lives.
    private let configuration: AnyObject
    private(set) var isHandshakeDone = false

    fileprivate init(_ session: OpaquePointer, configuration: AnyObject) {
        self.session = session
        self.configuration = configuration
    }

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
