#include "COpenSSL.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "OpenSSLSymbols.h"
#include "TLSSession.h"

struct kv_tls_server {
    SSL_CTX *ctx;
};


/// ALPN's wire form: length-prefixed names, in the server's order of preference.
static const unsigned char kv_alpn_protocols[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };

static int kv_select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_length,
                          const unsigned char *offered, unsigned int offered_length, void *argument) {
    (void)ssl;
    (void)argument;
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, out_length, kv_alpn_protocols, sizeof kv_alpn_protocols,
                              offered, offered_length) != OPENSSL_NPN_NEGOTIATED) {
        // No protocol in common: go on without ALPN; the first decrypted bytes decide.
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/// The last OpenSSL error's reason ("no such file", "key values mismatch"), or `fallback`.
static void kv_describe_error(char *error, size_t size, const char *prefix, const char *fallback) {
    unsigned long code = ERR_peek_last_error();
    const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;
    if (error != NULL && size > 0) {
        snprintf(error, size, "%s: %s", prefix, reason != NULL ? reason : fallback);
    }
    ERR_clear_error();
}

/// Client certificate verification, as OpenSSL does it, except for what etcd's `--client-crl-file`
/// does not check: etcd refuses a client whose certificate's serial number its CRL file lists, and
/// nothing more — a CA with no CRL in the file, or a CRL past its next update (or not yet valid), does
/// not refuse anyone. Those errors only arise once a CRL file turned revocation checking on.
static int kv_verify_client(int preverify_ok, X509_STORE_CTX *store) {
    if (preverify_ok) return 1;
    switch (X509_STORE_CTX_get_error(store)) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        // Forgiven: the verification result stays "ok" (kv_tls_peer_common_name asks for it).
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    default:
        return 0;
    }
}

/// `time` as OpenSSL prints it (`Jan  1 00:00:00 2026 GMT`) into `out`.
static void kv_print_time(const ASN1_TIME *time, char *out, size_t size) {
    if (size == 0) return;
    out[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return;
    ASN1_TIME_print(bio, time);
    int length = BIO_read(bio, out, (int)size - 1);
    out[length > 0 ? length : 0] = 0;
    BIO_free(bio);
}

kv_tls_server *kv_tls_server_new(const char *cert_file, const char *key_file, const char *trusted_ca_file,
                                 int verify_clients, char *error, size_t error_size) {
    if (!kv_openssl_load(error, error_size)) return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        kv_describe_error(error, error_size, "cannot create a TLS context", "out of memory");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "cannot load certificate %s", cert_file);
        kv_describe_error(error, error_size, prefix, "not a PEM certificate");
        SSL_CTX_free(ctx);
        return NULL;
    }
    // An expired (or not yet valid) certificate would fail every client's verification: refuse it now.
    X509 *leaf = SSL_CTX_get0_certificate(ctx);
    if (leaf != NULL) {
        const ASN1_TIME *limit = NULL;
        const char *what = NULL;
        if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
            limit = X509_get0_notAfter(leaf);
            what = "expired on";
        } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
            limit = X509_get0_notBefore(leaf);
            what = "is not valid before";
        }
        if (limit != NULL) {
            char when[64] = "";
            kv_print_time(limit, when, sizeof when);
            if (error != NULL && error_size > 0) snprintf(error, error_size, "certificate %s %s %s", cert_file, what, when);
            ERR_clear_error();
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        char prefix[1024];
        // Loading the key already compares it with the certificate.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            snprintf(prefix, sizeof prefix, "private key %s does not match certificate %s", key_file, cert_file);
        } else {
            snprintf(prefix, sizeof prefix, "cannot load private key %s", key_file);
        }
        kv_describe_error(error, error_size, prefix, "not a PEM private key");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        char prefix[1024];
        snprintf(prefix, sizeof prefix, "private key %s does not match certificate %s", key_file, cert_file);
        kv_describe_error(error, error_size, prefix, "key values mismatch");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (trusted_ca_file != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(trusted_ca_file);
        if (SSL_CTX_load_verify_locations(ctx, trusted_ca_file, NULL) != 1 || names == NULL) {
            if (names != NULL) sk_X509_NAME_pop_free(names, X509_NAME_free);
            char prefix[512];
            snprintf(prefix, sizeof prefix, "cannot load trusted CA file %s", trusted_ca_file);
            kv_describe_error(error, error_size, prefix, "no PEM certificate in it");
            SSL_CTX_free(ctx);
            return NULL;
        }
        // The CA names the server sends in its CertificateRequest, so clients pick the right certificate.
        SSL_CTX_set_client_CA_list(ctx, names);
    } else if (verify_clients) {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (verify_clients) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, kv_verify_client);
        // Resumed sessions keep their verified client; OpenSSL refuses to resume without a context.
        static const unsigned char context[] = "kvserver";
        SSL_CTX_set_session_id_context(ctx, context, sizeof context - 1);
    }
    SSL_CTX_set_alpn_select_cb(ctx, kv_select_alpn, NULL);
    kv_tls_server *server = malloc(sizeof *server);
    if (server == NULL) {
        SSL_CTX_free(ctx);
        if (error != NULL && error_size > 0) snprintf(error, error_size, "out of memory");
        return NULL;
    }
    server->ctx = ctx;
    return server;
}

int kv_tls_server_set_ciphers(kv_tls_server *server, const char *list, char *error, size_t error_size) {
    ERR_clear_error();
    if (SSL_CTX_set_cipher_list(server->ctx, list) != 1) {
        kv_describe_error(error, error_size, "--cipher-suites: OpenSSL serves none of them", "no cipher match");
        return 0;
    }
    return 1;
}

int kv_tls_server_set_crl_file(kv_tls_server *server, const char *crl_file, char *error, size_t error_size) {
    ERR_clear_error();
    char prefix[512];
    snprintf(prefix, sizeof prefix, "cannot load CRL file %s", crl_file);
    BIO *bio = BIO_new_file(crl_file, "r");
    if (bio == NULL) {
        kv_describe_error(error, error_size, prefix, "cannot open it");
        return 0;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(server->ctx);
    int count = 0;
    X509_CRL *crl;
    // Every CRL in the file (other PEM blocks are skipped); the loop ends at the end of the file.
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        int added = X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        if (added != 1) {
            BIO_free(bio);
            kv_describe_error(error, error_size, prefix, "cannot add it");
            return 0;
        }
        count += 1;
    }
    BIO_free(bio);
    unsigned long last = ERR_peek_last_error();
    // Reaching the end of the file reads as "no start line"; anything else is a damaged CRL.
    if (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
        kv_describe_error(error, error_size, prefix, "not a PEM CRL");
        return 0;
    }
    ERR_clear_error();
    if (count == 0) {
        if (error != NULL && error_size > 0) snprintf(error, error_size, "%s: no PEM CRL in it", prefix);
        return 0;
    }
    // The client's certificate and every CA certificate above it, as etcd checks each certificate the
    // client sent (kv_verify_client forgives a CA the file has no CRL of).
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return count;
}

int kv_tls_server_set_allowed_hostname(kv_tls_server *server, const char *host, char *error, size_t error_size) {
    ERR_clear_error();
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(server->ctx);
    // Go's VerifyHostname: subject alternative names only (never the Common Name), a wildcard only as
    // a whole left-most label.
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    unsigned char address[16];
    int is_ip = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
    int done = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : X509_VERIFY_PARAM_set1_host(param, host, 0);
    if (done != 1) {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "--client-cert-allowed-hostname %s", host);
        kv_describe_error(error, error_size, prefix, "not a host name or IP address");
        return 0;
    }
    return 1;
}

int kv_tls_server_expired(kv_tls_server *server, char *when, size_t size) {
    X509 *leaf = SSL_CTX_get0_certificate(server->ctx);
    if (leaf == NULL || X509_cmp_current_time(X509_get0_notAfter(leaf)) >= 0) return 0;
    kv_print_time(X509_get0_notAfter(leaf), when, size);
    return 1;
}

void kv_tls_server_free(kv_tls_server *server) {
    if (server == NULL) return;
    SSL_CTX_free(server->ctx);
    free(server);
}

kv_tls_session *kv_tls_session_new(kv_tls_server *server, int fd) {
    kv_tls_session *session = calloc(1, sizeof *session);
    if (session == NULL) return NULL;
    ERR_clear_error();
    session->ssl = SSL_new(server->ctx);
    if (session->ssl == NULL || SSL_set_fd(session->ssl, fd) != 1) {
        if (session->ssl != NULL) SSL_free(session->ssl);
        free(session);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_accept_state(session->ssl);
    return session;
}

void kv_tls_session_free(kv_tls_session *session) {
    if (session == NULL) return;
    SSL_free(session->ssl);
    free(session);
}

long kv_result(kv_tls_session *session, int result) {
    int code = SSL_get_error(session->ssl, result);
    switch (code) {
    case SSL_ERROR_WANT_READ:
        return KV_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return KV_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return KV_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (errno == 0 || result == 0) return KV_TLS_CLOSED;   // end of stream without close_notify
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return KV_TLS_WANT_READ;
            snprintf(session->error, sizeof session->error, "%s", strerror(errno));
            return KV_TLS_ERROR;
        }
        /* fall through */
    default: {
        unsigned long error = ERR_peek_error();
        const char *reason = error != 0 ? ERR_reason_error_string(error) : NULL;
        if (reason == NULL && error == 0 && code == SSL_ERROR_SSL) reason = "protocol error";
        // An unexpected EOF inside a record is OpenSSL 3's way of saying the peer went away.
        if (error != 0 && ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return KV_TLS_CLOSED;
        }
        if (session->is_client) {
            kv_tls_client_describe(session, error, reason);
        } else if (error != 0 && ERR_GET_REASON(error) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            // The client's certificate: say what was wrong with it ("certificate revoked", "unable to
            // get local issuer certificate").
            long verify = SSL_get_verify_result(session->ssl);
            snprintf(session->error, sizeof session->error, "%s: %s", reason != NULL ? reason : "certificate verify failed",
                     X509_verify_cert_error_string(verify));
        } else {
            snprintf(session->error, sizeof session->error, "%s", reason != NULL ? reason : "TLS error");
        }
        ERR_clear_error();
        return KV_TLS_ERROR;
    }
    }
}

int kv_tls_handshake(kv_tls_session *session) {
    ERR_clear_error();
    errno = 0;
    session->error[0] = 0;
    kv_sigpipe_guard guard;
    kv_sigpipe_guard_begin(session, &guard);
    int result = SSL_do_handshake(session->ssl);
    int mapped = result == 1 ? KV_TLS_DONE : (int)kv_result(session, result);
    kv_sigpipe_guard_end(&guard);
    return mapped;
}

long kv_tls_read(kv_tls_session *session, void *buffer, size_t length) {
    ERR_clear_error();
    errno = 0;
    session->error[0] = 0;
    size_t count = 0;
    kv_sigpipe_guard guard;   // a read may send (an alert, a key update)
    kv_sigpipe_guard_begin(session, &guard);
    int result = SSL_read_ex(session->ssl, buffer, length, &count);
    long mapped = result == 1 ? (long)count : kv_result(session, result);
    kv_sigpipe_guard_end(&guard);
    return mapped;
}

long kv_tls_write(kv_tls_session *session, const void *buffer, size_t length) {
    ERR_clear_error();
    errno = 0;
    session->error[0] = 0;
    size_t count = 0;
    kv_sigpipe_guard guard;
    kv_sigpipe_guard_begin(session, &guard);
    int result = SSL_write_ex(session->ssl, buffer, length, &count);
    long mapped = result == 1 ? (long)count : kv_result(session, result);
    kv_sigpipe_guard_end(&guard);
    if (result == 1) return mapped;
    if (mapped == KV_TLS_CLOSED) {
        snprintf(session->error, sizeof session->error, "connection closed by peer");
        return KV_TLS_ERROR;
    }
    return mapped;
}

int kv_tls_pending(kv_tls_session *session) {
    return SSL_pending(session->ssl);
}

void kv_tls_shutdown(kv_tls_session *session) {
    ERR_clear_error();
    kv_sigpipe_guard guard;
    kv_sigpipe_guard_begin(session, &guard);
    if (SSL_is_init_finished(session->ssl)) (void)SSL_shutdown(session->ssl);
    kv_sigpipe_guard_end(&guard);
    ERR_clear_error();
}

size_t kv_tls_alpn(kv_tls_session *session, char *buffer, size_t size) {
    const unsigned char *name = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(session->ssl, &name, &length);
    if (name == NULL || length == 0 || size == 0) return 0;
    if (length >= size) length = (unsigned int)(size - 1);
    memcpy(buffer, name, length);
    buffer[length] = 0;
    return length;
}

const char *kv_tls_version(kv_tls_session *session) {
    return SSL_is_init_finished(session->ssl) ? SSL_get_version(session->ssl) : "";
}

size_t kv_tls_peer_common_name(kv_tls_session *session, char *buffer, size_t size) {
    if (size == 0) return 0;
    buffer[0] = 0;
    X509 *peer = SSL_get0_peer_certificate(session->ssl);
    if (peer == NULL || SSL_get_verify_result(session->ssl) != X509_V_OK) return 0;
    int length = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buffer, (int)size);
    ERR_clear_error();
    return length > 0 ? (size_t)length : 0;
}

const char *kv_tls_session_error(kv_tls_session *session) {
    return session->error;
}
