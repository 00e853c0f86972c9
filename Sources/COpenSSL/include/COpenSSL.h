#ifndef COPENSSL_H
#define COPENSSL_H

/// kvserver's only door to TLS: a few non-blocking helpers over the system's OpenSSL 3 (libssl),
/// so that Swift sees two opaque types and plain integers, never OpenSSL's own API or its macros.
///
/// A server context (certificate, key, ALPN `h2` and `http/1.1`) is shared by every event loop; a
/// session is one connection's TLS state over its non-blocking socket, used by one loop thread only.
/// Every call that can fail leaves a one-line reason (`kv_tls_session_error`) instead of OpenSSL's
/// per-thread error queue, which each call clears first.

#include <stddef.h>

typedef struct kv_tls_server kv_tls_server;
typedef struct kv_tls_session kv_tls_session;

/// Results of `kv_tls_handshake`, `kv_tls_read` and `kv_tls_write` other than a byte count.
enum {
    /// The handshake is complete (`kv_tls_handshake` only).
    KV_TLS_DONE = 1,
    /// The peer closed the connection (close_notify, or end of stream).
    KV_TLS_CLOSED = 0,
    /// Call again once the socket is readable.
    KV_TLS_WANT_READ = -1,
    /// Call again once the socket is writable.
    KV_TLS_WANT_WRITE = -2,
    /// A protocol or socket error; the session is unusable (reason: `kv_tls_session_error`).
    KV_TLS_ERROR = -3,
};

/// Loads a PEM certificate chain and its private key, checks that they match, and offers ALPN
/// `h2` and `http/1.1` (the server's preference, in that order). TLS 1.2 is the oldest version served.
///
/// With `verify_clients`, every client must present a certificate that verifies against the PEM CA
/// certificates in `trusted_ca_file` (the system's trust store when it is NULL); the handshake of a
/// client without one fails. Returns NULL and writes a one-line reason into `error` on failure.
kv_tls_server *kv_tls_server_new(const char *cert_file, const char *key_file, const char *trusted_ca_file,
                                 int verify_clients, char *error, size_t error_size);
void kv_tls_server_free(kv_tls_server *server);

/// A server-side session over `fd` (non-blocking). NULL when OpenSSL is out of memory.
kv_tls_session *kv_tls_session_new(kv_tls_server *server, int fd);
/// Frees the session; does not close `fd`.
void kv_tls_session_free(kv_tls_session *session);

/// Advances the handshake: KV_TLS_DONE, KV_TLS_WANT_READ, KV_TLS_WANT_WRITE, KV_TLS_CLOSED or KV_TLS_ERROR.
int kv_tls_handshake(kv_tls_session *session);
/// Decrypts up to `length` bytes: a count > 0, or KV_TLS_CLOSED, KV_TLS_WANT_READ, KV_TLS_WANT_WRITE, KV_TLS_ERROR.
long kv_tls_read(kv_tls_session *session, void *buffer, size_t length);
/// Encrypts and sends up to `length` bytes (partial writes allowed; a retry after a want may pass a
/// moved, longer buffer that starts with the same bytes): a count > 0, or a KV_TLS_* result.
long kv_tls_write(kv_tls_session *session, const void *buffer, size_t length);
/// Decrypted bytes held inside OpenSSL, readable without touching the socket.
int kv_tls_pending(kv_tls_session *session);
/// Sends close_notify, best effort (never waits).
void kv_tls_shutdown(kv_tls_session *session);
/// The protocol ALPN chose, copied NUL-terminated into `buffer`; its length (0: none).
size_t kv_tls_alpn(kv_tls_session *session, char *buffer, size_t size);
/// The negotiated version ("TLSv1.3") or "" before the handshake.
const char *kv_tls_version(kv_tls_session *session);
/// The Common Name of the client's verified certificate, copied NUL-terminated into `buffer`; its
/// length (0: no certificate, or no Common Name).
size_t kv_tls_peer_common_name(kv_tls_session *session, char *buffer, size_t size);
/// Why the last call returned KV_TLS_ERROR (or "" if it did not).
const char *kv_tls_session_error(kv_tls_session *session);

#endif
