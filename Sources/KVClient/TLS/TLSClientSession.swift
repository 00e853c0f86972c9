import COpenSSL
import Glibc
import KVPosix

/// One client connection's TLS state over its non-blocking socket, driven by `ClientConnection` under
/// the client's mutex. Reads and writes report "would block" as a value, as the socket's do.
public final class TLSClientSession {
    /// What a call needs before it can go on, or why it cannot.
    public enum Blocked: Error {
        case wantRead, wantWrite
        /// The server closed the connection (close_notify or end of stream).
        case closed
        /// Go's wording: `x509: certificate signed by unknown authority`, `remote error: tls: bad certificate`.
        case failed(String)
    }

    private let session: OpaquePointer

    init(_ session: OpaquePointer) { self.session = session }

    deinit { kv_tls_session_free(session) }

    /// Advances the handshake; returns when it is done.
    public func handshake() throws(Blocked) {
        let result = Int(kv_tls_handshake(session))
        if result == KV_TLS_DONE { return }
        throw blocked(result)
    }

    /// Decrypts into `buffer`: a count > 0.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Blocked) -> Int {
        let result = kv_tls_read(session, buffer.baseAddress, buffer.count)
        if result > 0 { return result }
        throw blocked(result)
    }

    /// Encrypts and sends part of `buffer`: a count > 0.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Blocked) -> Int {
        let result = kv_tls_write(session, buffer.baseAddress, buffer.count)
        if result > 0 { return result }
        throw blocked(result)
    }

    /// Decrypted bytes held inside OpenSSL (readable although the socket is not).
    public var pending: Int { Int(kv_tls_pending(session)) }

    /// Sends close_notify, best effort.
    public func shutdown() { kv_tls_shutdown(session) }

    private func blocked(_ result: Int) -> Blocked {
        switch result {
        case KV_TLS_WANT_READ: .wantRead
        case KV_TLS_WANT_WRITE: .wantWrite
        case KV_TLS_CLOSED: .closed
        default: .failed(String(cString: kv_tls_session_error(session)))
        }
    }
}
