#ifndef KV_TLS_SESSION_H
#define KV_TLS_SESSION_H

#include "OpenSSLSymbols.h"

#include <signal.h>

/// One connection's TLS state, server or client side (private to the shim).
struct kv_tls_session {
    SSL *ssl;
    /// Why the last call failed (`kv_tls_session_error`).
    char error[512];
    /// A client session (`kv_tls_client_session_new`): errors are described in Go's words.
    int is_client;
    /// Client side: the host the certificate must name (a DNS name or an IP address), and Go's text
    /// for why verification failed, written by the verify callback before the handshake fails.
    char host[256];
    char verify_failure[448];
};

/// Maps an OpenSSL result to KV_TLS_*, noting the reason of an error in `session->error`.
long kv_result(kv_tls_session *session, int result);

/// Writes a client session's failure into `session->error` as Go's crypto/tls would word it:
/// `x509: certificate signed by unknown authority`, `remote error: tls: bad certificate`, `EOF`, …
/// `code` is OpenSSL's packed error (0: none) and `reason` its text.
void kv_tls_client_describe(kv_tls_session *session, unsigned long code, const char *reason);

/// OpenSSL writes with write(2), which raises SIGPIPE when the peer is gone; a server ignores the
/// signal, but a client library must not change its process's signal handling. Around a client
/// session's writing calls the signal is blocked in the calling thread, and one it caused is consumed.
typedef struct { int active; int was_pending; sigset_t previous; } kv_sigpipe_guard;
void kv_sigpipe_guard_begin(kv_tls_session *session, kv_sigpipe_guard *guard);
void kv_sigpipe_guard_end(kv_sigpipe_guard *guard);

#endif
