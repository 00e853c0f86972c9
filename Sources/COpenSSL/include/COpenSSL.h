#ifndef COPENSSL_H
#define COPENSSL_H

/// The package's only door to TLS: a few non-blocking helpers over the system's OpenSSL 3 (libssl),
/// so that Swift sees opaque types and plain integers, never OpenSSL's own API or its macros.
///
/// A server context (certificate, key, ALPN `h2` and `http/1.1`) is shared by every event loop; a
/// client context (CA bundle, client certificate) by every connection of a client; a session is one
/// connection's TLS state over its non-blocking socket, used by one thread at a time.
/// Every call that can fail leaves a one-line reason (`kv_tls_session_error`) instead of OpenSSL's
/// per-thread error queue, which each call clears first.
///
/// OpenSSL is loaded on first use (dlopen of libssl.so.3), not linked: a process that never uses TLS
/// never maps it (kvctl's start-up time), and runs where it is not installed.

#include <stddef.h>

typedef struct kv_tls_server kv_tls_server;
typedef struct kv_tls_client kv_tls_client;
typedef struct kv_tls_session kv_tls_session;

/// Loads OpenSSL 3 if it is not loaded yet: 1 when TLS can be used, else 0 with the reason in `error`
/// (`TLS needs the system's OpenSSL 3 (libssl.so.3): …`). Thread-safe; every `_new` below calls it.
int kv_tls_available(char *error, size_t error_size);

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
/// 1 when the served certificate's validity has ended (its end, as OpenSSL prints it, in `when`), else 0.
int kv_tls_server_expired(kv_tls_server *server, char *when, size_t size);
void kv_tls_server_free(kv_tls_server *server);
/// Restricts the TLS 1.2 cipher suites to `list` (OpenSSL's names, `:`-separated, in the server's order
/// of preference); TLS 1.3's stay OpenSSL's defaults, as Go's `CipherSuites` leaves them. 1, or 0 with
/// the reason when OpenSSL has none of them.
int kv_tls_server_set_ciphers(kv_tls_server *server, const char *list, char *error, size_t error_size);

/// etcd's `--client-crl-file`: a client certificate whose serial number one of the PEM CRLs in
/// `crl_file` lists as revoked fails the handshake (OpenSSL checks each CRL's signature by its issuer).
/// As with etcd, a CA without a CRL in the file, and a CRL past its next update, refuse no one. Call it
/// on a context made with `verify_clients`. The number of CRLs loaded, or 0 with the reason in `error`
/// (`cannot load CRL file F: no PEM CRL in it`).
int kv_tls_server_set_crl_file(kv_tls_server *server, const char *crl_file, char *error, size_t error_size);

/// etcd's `--client-cert-allowed-hostname`: a client certificate must also name `host` (a DNS name, or
/// an IP address) among its subject alternative names, as Go's `VerifyHostname` checks it (the Common
/// Name is not consulted; `*.example.com` matches one label). Call it on a context made with
/// `verify_clients`. 1, or 0 with the reason in `error`.
int kv_tls_server_set_allowed_hostname(kv_tls_server *server, const char *host, char *error, size_t error_size);

/// Writes etcd's `--auto-tls` certificate: a new P-256 key (`key_file`, mode 0600) and a certificate it
/// signs itself (`cert_file`), valid for a year, subject O=etcd, for server authentication, naming each
/// of the comma-separated `hosts` as an IP or DNS subject alternative name. 1, or 0 with the reason.
int kv_tls_write_self_signed(const char *hosts, const char *cert_file, const char *key_file, char *error, size_t error_size);

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
/// A client context, as etcd's client configures one: TLS 1.2 or later, no ALPN; the server's
/// certificate verified against the PEM CA certificates in `ca_file` (the system's trust store when
/// NULL) unless `skip_verify`; `cert_file` and `key_file` (both or neither) the client's certificate.
/// Returns NULL with Go's wording of the problem in `error` (`tls: private key does not match public key`).
kv_tls_client *kv_tls_client_new(const char *ca_file, const char *cert_file, const char *key_file, int skip_verify,
                                 char *error, size_t error_size);
void kv_tls_client_free(kv_tls_client *client);
/// A client-side session over the connected, non-blocking `fd`. `host` (a DNS name, sent as SNI, or an
/// IP address) is what the server's certificate must name. NULL when OpenSSL is out of memory.
/// Its errors read as Go's: `x509: certificate signed by unknown authority`,
/// `x509: certificate is valid for localhost, not 127.0.0.2`, `remote error: tls: bad certificate`.
kv_tls_session *kv_tls_client_session_new(kv_tls_client *client, int fd, const char *host);
/// Offers HTTP/2 (ALPN `h2`) in the handshake of a client session not yet started: gRPC servers such as
/// etcd serve gRPC over TLS only to clients that negotiate it. Returns 1 on success.
int kv_tls_client_offer_h2(kv_tls_session *session);

/// Why the last call returned KV_TLS_ERROR (or "" if it did not).
const char *kv_tls_session_error(kv_tls_session *session);

#endif
