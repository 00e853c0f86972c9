#include "COpenSSL.h"
#include "OpenSSLSymbols.h"
#include "TLSSession.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// The client side of TLS, as etcd's Go client does it: the server's certificate verified against
/// the CA bundle (or the system's trust store) and against the endpoint's host (a DNS name, or an IP
/// address matched to the certificate's IP SANs), no ALPN offered (so kvserver sniffs the decrypted
/// bytes as the line protocol), and failures worded as Go's crypto/tls and crypto/x509 word them.
struct kv_tls_client {
    SSL_CTX *ctx;
    int skip_verify;
};

/// `2026-12-01T05:50:26Z`, as Go prints a time in x509's expiry error.
static void kv_rfc3339(const struct tm *t, char *buffer, size_t size) {
    snprintf(buffer, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->tm_year + 1900, t->tm_mon + 1, t->tm_mday,
             t->tm_hour, t->tm_min, t->tm_sec);
}

static int kv_is_ip(const char *host) {
    unsigned char address[16];
    return inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
}

/// Appends ", name" (or "name" first) to `list`.
static void kv_append_name(char *list, size_t size, const char *name) {
    size_t used = strlen(list);
    if (used + 1 >= size) return;
    snprintf(list + used, size - used, "%s%s", used > 0 ? ", " : "", name);
}

/// Go's `HostnameError`: the names (or IP addresses) the certificate is valid for, and the host.
static void kv_describe_host_mismatch(X509 *leaf, const char *host, char *out, size_t size) {
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int want_ip = kv_is_ip(host);
    char valid[320] = "";
    int count = names != NULL ? sk_GENERAL_NAME_num(names) : 0;
    for (int i = 0; i < count; i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (want_ip && name->type == GEN_IPADD) {
            const unsigned char *bytes = ASN1_STRING_get0_data(name->d.iPAddress);
            int length = ASN1_STRING_length(name->d.iPAddress);
            char text[INET6_ADDRSTRLEN] = "";
            if (length == 4) inet_ntop(AF_INET, bytes, text, sizeof text);
            else if (length == 16) inet_ntop(AF_INET6, bytes, text, sizeof text);
            if (text[0] != 0) kv_append_name(valid, sizeof valid, text);
        } else if (!want_ip && name->type == GEN_DNS) {
            char text[256];
            int length = ASN1_STRING_length(name->d.dNSName);
            if (length < 0 || length >= (int)sizeof text) continue;
            memcpy(text, ASN1_STRING_get0_data(name->d.dNSName), (size_t)length);
            text[length] = 0;
            kv_append_name(valid, sizeof valid, text);
        }
    }
    if (names != NULL) sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
    if (names == NULL && !want_ip) {
        char common_name[256] = "";
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, common_name, sizeof common_name) > 0
            && strcasecmp(common_name, host) == 0) {
            snprintf(out, size, "x509: certificate relies on legacy Common Name field, use SANs instead");
            return;
        }
    }
    if (want_ip && valid[0] == 0) {
        snprintf(out, size, "x509: cannot validate certificate for %s because it doesn't contain any IP SANs", host);
    } else if (valid[0] == 0) {
        snprintf(out, size, "x509: certificate is not valid for any names, but wanted to match %s", host);
    } else {
        snprintf(out, size, "x509: certificate is valid for %s, not %s", valid, host);
    }
}

/// Go checks the leaf's validity period first, then the host name, then the chain; OpenSSL reports the
/// first problem in its own order. This finds the one Go would name.
static void kv_describe_verify_failure(X509_STORE_CTX *store, const char *host, char *out, size_t size) {
    int error = X509_STORE_CTX_get_error(store);
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf != NULL) {
        const ASN1_TIME *limit = NULL;
        const char *relation = NULL;
        if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
            limit = X509_get0_notAfter(leaf);
            relation = "after";
        } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
            limit = X509_get0_notBefore(leaf);
            relation = "before";
        }
        struct tm when;
        if (limit != NULL && ASN1_TIME_to_tm(limit, &when) == 1) {
            time_t now_seconds = time(NULL);
            struct tm now;
            gmtime_r(&now_seconds, &now);
            char now_text[32], limit_text[32];
            kv_rfc3339(&now, now_text, sizeof now_text);
            kv_rfc3339(&when, limit_text, sizeof limit_text);
            snprintf(out, size, "x509: certificate has expired or is not yet valid: current time %s is %s %s",
                     now_text, relation, limit_text);
            return;
        }
        if (host[0] != 0) {
            int matches = kv_is_ip(host) ? X509_check_ip_asc(leaf, host, 0)
                                         : X509_check_host(leaf, host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
            if (matches != 1) {
                kv_describe_host_mismatch(leaf, host, out, size);
                return;
            }
        }
    }
    switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
        snprintf(out, size, "x509: certificate signed by unknown authority");
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        // An issuer's period (the leaf's was checked above).
        snprintf(out, size, "x509: certificate has expired or is not yet valid: %s", X509_verify_cert_error_string(error));
        break;
    default:
        snprintf(out, size, "x509: %s", X509_verify_cert_error_string(error));
    }
}

static int kv_verify_callback(int preverified, X509_STORE_CTX *store) {
    if (preverified) return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    kv_tls_session *session = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    if (session != NULL && session->verify_failure[0] == 0) {
        kv_describe_verify_failure(store, session->host, session->verify_failure, sizeof session->verify_failure);
    }
    return 0;   // the first failure ends the handshake, before the client certificate is sent
}

/// Go's texts for the TLS alerts a server sends when it refuses a client (`remote error: tls: …`).
static const char *kv_alert_text(int alert) {
    switch (alert) {
    case SSL_AD_HANDSHAKE_FAILURE: return "handshake failure";
    case SSL_AD_BAD_CERTIFICATE: return "bad certificate";
    case SSL_AD_UNSUPPORTED_CERTIFICATE: return "unsupported certificate";
    case SSL_AD_CERTIFICATE_REVOKED: return "revoked certificate";
    case SSL_AD_CERTIFICATE_EXPIRED: return "expired certificate";
    case SSL_AD_CERTIFICATE_UNKNOWN: return "unknown certificate";
    case SSL_AD_UNKNOWN_CA: return "unknown certificate authority";
    case SSL_AD_ACCESS_DENIED: return "access denied";
    case SSL_AD_DECRYPT_ERROR: return "error decrypting message";
    case SSL_AD_PROTOCOL_VERSION: return "protocol version not supported";
    case SSL_AD_INTERNAL_ERROR: return "internal error";
    case SSL_AD_CERTIFICATE_REQUIRED: return "certificate required";
    case SSL_AD_NO_APPLICATION_PROTOCOL: return "no application protocol";
    default: return NULL;
    }
}

void kv_tls_client_describe(kv_tls_session *session, unsigned long code, const char *reason) {
    int why = code != 0 ? ERR_GET_REASON(code) : 0;
    if (why == SSL_R_CERTIFICATE_VERIFY_FAILED && session->verify_failure[0] != 0) {
        snprintf(session->error, sizeof session->error, "%s", session->verify_failure);
    } else if (why > SSL_AD_REASON_OFFSET && why < SSL_AD_REASON_OFFSET + 256) {
        const char *alert = kv_alert_text(why - SSL_AD_REASON_OFFSET);
        if (alert != NULL) snprintf(session->error, sizeof session->error, "remote error: tls: %s", alert);
        else snprintf(session->error, sizeof session->error, "remote error: tls: %s", reason != NULL ? reason : "alert");
    } else if (why == SSL_R_WRONG_VERSION_NUMBER || why == SSL_R_PACKET_LENGTH_TOO_LONG
               || why == SSL_R_HTTP_REQUEST || why == SSL_R_UNEXPECTED_RECORD) {
        // Bytes that are not TLS: a plaintext server answered.
        snprintf(session->error, sizeof session->error, "tls: first record does not look like a TLS handshake");
    } else {
        snprintf(session->error, sizeof session->error, "tls: %s", reason != NULL ? reason : "handshake failed");
    }
}

/// `what` file `path` could not be used: OpenSSL's reason, or `fallback`.
static void kv_client_file_error(char *error, size_t size, const char *text) {
    if (error != NULL && size > 0) snprintf(error, size, "%s", text);
    ERR_clear_error();
}

kv_tls_client *kv_tls_client_new(const char *ca_file, const char *cert_file, const char *key_file, int skip_verify,
                                 char *error, size_t error_size) {
    if (!kv_openssl_load(error, error_size)) return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        kv_client_file_error(error, error_size, "cannot create a TLS context: out of memory");
        return NULL;
    }
    // As etcd's client: TLS 1.2 or later.
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    char text[1024];
    if (cert_file != NULL) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
            kv_client_file_error(error, error_size, "tls: failed to find any PEM data in certificate input");
            SSL_CTX_free(ctx);
            return NULL;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
            int mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
            kv_client_file_error(error, error_size, mismatch ? "tls: private key does not match public key"
                                                             : "tls: failed to find any PEM data in key input");
            SSL_CTX_free(ctx);
            return NULL;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            kv_client_file_error(error, error_size, "tls: private key does not match public key");
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    if (ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            snprintf(text, sizeof text, "x509: no PEM certificate in CA file %s", ca_file);
            kv_client_file_error(error, error_size, text);
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    SSL_CTX_set_verify(ctx, skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, skip_verify ? NULL : kv_verify_callback);
    ERR_clear_error();
    kv_tls_client *client = malloc(sizeof *client);
    if (client == NULL) {
        SSL_CTX_free(ctx);
        kv_client_file_error(error, error_size, "out of memory");
        return NULL;
    }
    client->ctx = ctx;
    client->skip_verify = skip_verify;
    return client;
}

void kv_tls_client_free(kv_tls_client *client) {
    if (client == NULL) return;
    SSL_CTX_free(client->ctx);
    free(client);
}

kv_tls_session *kv_tls_client_session_new(kv_tls_client *client, int fd, const char *host) {
    kv_tls_session *session = calloc(1, sizeof *session);
    if (session == NULL) return NULL;
    session->is_client = 1;
    snprintf(session->host, sizeof session->host, "%s", host);
    ERR_clear_error();
    session->ssl = SSL_new(client->ctx);
    int ok = session->ssl != NULL && SSL_set_fd(session->ssl, fd) == 1;
    if (ok) {
        SSL_set_app_data(session->ssl, session);
        int is_ip = kv_is_ip(host);
        // Server Name Indication for names only, as Go does.
        if (!is_ip && host[0] != 0) ok = SSL_set_tlsext_host_name(session->ssl, host) == 1;
        if (ok && !client->skip_verify && host[0] != 0) {
            if (is_ip) {
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session->ssl), host) == 1;
            } else {
                X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(session->ssl), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = SSL_set1_host(session->ssl, host) == 1;
            }
        }
    }
    if (!ok) {
        if (session->ssl != NULL) SSL_free(session->ssl);
        free(session);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_connect_state(session->ssl);
    return session;
}

int kv_tls_client_offer_h2(kv_tls_session *session) {
    static const unsigned char h2[] = { 2, 'h', '2' };
    return SSL_set_alpn_protos(session->ssl, h2, sizeof h2) == 0;   // 0 is success for this call
}

void kv_sigpipe_guard_begin(kv_tls_session *session, kv_sigpipe_guard *guard) {
    guard->active = session->is_client;
    if (!guard->active) return;
    sigset_t block, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigpending(&pending);
    guard->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &guard->previous);
}

void kv_sigpipe_guard_end(kv_sigpipe_guard *guard) {
    if (!guard->active) return;
    sigset_t block, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigpending(&pending);
    if (!guard->was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        int saved = errno;
        while (sigtimedwait(&block, NULL, &zero) < 0 && errno == EINTR) {}
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &guard->previous, NULL);
}
