#ifndef KV_OPENSSL_SYMBOLS_H
#define KV_OPENSSL_SYMBOLS_H

/// The OpenSSL functions this shim calls, reached through pointers that `kv_openssl_load` fills from
/// `libssl.so.3` (and the `libcrypto.so.3` it depends on) with dlopen, the first time TLS is used.
///
/// Why: linking libssl and libcrypto makes every process map and relocate them at exec, TLS or not;
/// measured on kvctl, that is 1.5–3 ms added to a 3 ms `kvctl version`. Loading them on first use
/// keeps plaintext runs (and a kvserver without https:// listeners) as fast as before, and lets both
/// run where OpenSSL is not installed.
///
/// How: each `.c` file includes this header after OpenSSL's own, so OpenSSL's declarations and macros
/// stay as they are, and every name below is redefined as the matching pointer of `kv_openssl`. A name
/// missing from the list is a link error in kvctl (which does not link libssl), never a silent
/// direct call.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <errno.h>

#define KV_OPENSSL_FUNCTIONS(X) \
    X(OpenSSL_version_num) \
    X(OPENSSL_sk_num) \
    X(OPENSSL_sk_value) \
    X(OPENSSL_sk_pop_free) \
    X(ERR_clear_error) \
    X(ERR_peek_error) \
    X(ERR_peek_last_error) \
    X(ERR_reason_error_string) \
    X(BIO_new) \
    X(BIO_s_mem) \
    X(BIO_read) \
    X(BIO_free) \
    X(ASN1_TIME_print) \
    X(ASN1_TIME_to_tm) \
    X(ASN1_STRING_get0_data) \
    X(ASN1_STRING_length) \
    X(X509_cmp_current_time) \
    X(X509_get0_notAfter) \
    X(X509_get0_notBefore) \
    X(X509_get_subject_name) \
    X(X509_get_ext_d2i) \
    X(X509_NAME_get_text_by_NID) \
    X(X509_NAME_free) \
    X(X509_free) \
    X(X509_verify_cert_error_string) \
    X(X509_STORE_CTX_get_error) \
    X(X509_STORE_CTX_get_current_cert) \
    X(X509_STORE_CTX_get_ex_data) \
    X(X509_STORE_CTX_get0_cert) \
    X(X509_check_host) \
    X(X509_check_ip_asc) \
    X(X509_VERIFY_PARAM_set1_ip_asc) \
    X(X509_VERIFY_PARAM_set_hostflags) \
    X(GENERAL_NAME_free) \
    X(TLS_server_method) \
    X(TLS_client_method) \
    X(SSL_CTX_new) \
    X(SSL_CTX_free) \
    X(SSL_CTX_ctrl) \
    X(SSL_CTX_set_options) \
    X(SSL_CTX_set_cipher_list) \
    X(SSL_CTX_use_certificate_chain_file) \
    X(SSL_CTX_use_PrivateKey_file) \
    X(SSL_CTX_check_private_key) \
    X(SSL_CTX_get0_certificate) \
    X(SSL_CTX_load_verify_locations) \
    X(SSL_CTX_set_default_verify_paths) \
    X(SSL_CTX_set_client_CA_list) \
    X(SSL_CTX_set_verify) \
    X(SSL_CTX_set_session_id_context) \
    X(SSL_CTX_set_alpn_select_cb) \
    X(SSL_load_client_CA_file) \
    X(SSL_select_next_proto) \
    X(SSL_get_ex_data_X509_STORE_CTX_idx) \
    X(SSL_new) \
    X(SSL_free) \
    X(SSL_set_fd) \
    X(SSL_set_accept_state) \
    X(SSL_set_connect_state) \
    X(SSL_ctrl) \
    X(SSL_set1_host) \
    X(SSL_get0_param) \
    X(SSL_set_ex_data) \
    X(SSL_get_ex_data) \
    X(SSL_get_error) \
    X(SSL_do_handshake) \
    X(SSL_read_ex) \
    X(SSL_write_ex) \
    X(SSL_pending) \
    X(SSL_is_init_finished) \
    X(SSL_shutdown) \
    X(SSL_get0_alpn_selected) \
    X(SSL_set_alpn_protos) \
    X(SSL_get_version) \
    X(SSL_get0_peer_certificate) \
    X(SSL_get_verify_result) \
    X(EVP_PKEY_Q_keygen) \
    X(EVP_PKEY_free) \
    X(EVP_sha256) \
    X(RAND_bytes) \
    X(BN_bin2bn) \
    X(BN_to_ASN1_INTEGER) \
    X(BN_free) \
    X(X509_new) \
    X(X509_set_version) \
    X(X509_get_serialNumber) \
    X(X509_gmtime_adj) \
    X(X509_getm_notBefore) \
    X(X509_getm_notAfter) \
    X(X509_set_pubkey) \
    X(X509_NAME_add_entry_by_txt) \
    X(X509_set_issuer_name) \
    X(X509V3_set_ctx) \
    X(X509V3_EXT_conf) \
    X(X509_add_ext) \
    X(X509_EXTENSION_free) \
    X(X509_sign) \
    X(BIO_new_file) \
    X(PEM_write_bio_PrivateKey) \
    X(PEM_write_bio_X509) \
    X(SSL_CTX_get_cert_store) \
    X(X509_STORE_add_crl) \
    X(X509_STORE_set_flags) \
    X(X509_STORE_CTX_set_error) \
    X(PEM_read_bio_X509_CRL) \
    X(X509_CRL_free) \
    X(SSL_CTX_get0_param) \
    X(X509_VERIFY_PARAM_set1_host)

#define KV_OPENSSL_POINTER(name) __typeof__(&name) name;
struct kv_openssl_api {
    KV_OPENSSL_FUNCTIONS(KV_OPENSSL_POINTER)
};
#undef KV_OPENSSL_POINTER

/// The loaded functions; valid once `kv_openssl_load` has returned 1.
extern struct kv_openssl_api kv_openssl;

// The loader (OpenSSLLoader.c) fills the table by name, so it sees OpenSSL's names unchanged.
#ifndef KV_OPENSSL_LOADER
#define OpenSSL_version_num kv_openssl.OpenSSL_version_num
#define OPENSSL_sk_num kv_openssl.OPENSSL_sk_num
#define OPENSSL_sk_value kv_openssl.OPENSSL_sk_value
#define OPENSSL_sk_pop_free kv_openssl.OPENSSL_sk_pop_free
#define ERR_clear_error kv_openssl.ERR_clear_error
#define ERR_peek_error kv_openssl.ERR_peek_error
#define ERR_peek_last_error kv_openssl.ERR_peek_last_error
#define ERR_reason_error_string kv_openssl.ERR_reason_error_string
#define BIO_new kv_openssl.BIO_new
#define BIO_s_mem kv_openssl.BIO_s_mem
#define BIO_read kv_openssl.BIO_read
#define BIO_free kv_openssl.BIO_free
#define ASN1_TIME_print kv_openssl.ASN1_TIME_print
#define ASN1_TIME_to_tm kv_openssl.ASN1_TIME_to_tm
#define ASN1_STRING_get0_data kv_openssl.ASN1_STRING_get0_data
#define ASN1_STRING_length kv_openssl.ASN1_STRING_length
#define X509_cmp_current_time kv_openssl.X509_cmp_current_time
#define X509_get0_notAfter kv_openssl.X509_get0_notAfter
#define X509_get0_notBefore kv_openssl.X509_get0_notBefore
#define X509_get_subject_name kv_openssl.X509_get_subject_name
#define X509_get_ext_d2i kv_openssl.X509_get_ext_d2i
#define X509_NAME_get_text_by_NID kv_openssl.X509_NAME_get_text_by_NID
#define X509_NAME_free kv_openssl.X509_NAME_free
#define X509_free kv_openssl.X509_free
#define X509_verify_cert_error_string kv_openssl.X509_verify_cert_error_string
#define X509_STORE_CTX_get_error kv_openssl.X509_STORE_CTX_get_error
#define X509_STORE_CTX_get_current_cert kv_openssl.X509_STORE_CTX_get_current_cert
#define X509_STORE_CTX_get_ex_data kv_openssl.X509_STORE_CTX_get_ex_data
#define X509_STORE_CTX_get0_cert kv_openssl.X509_STORE_CTX_get0_cert
#define X509_check_host kv_openssl.X509_check_host
#define X509_check_ip_asc kv_openssl.X509_check_ip_asc
#define X509_VERIFY_PARAM_set1_ip_asc kv_openssl.X509_VERIFY_PARAM_set1_ip_asc
#define X509_VERIFY_PARAM_set_hostflags kv_openssl.X509_VERIFY_PARAM_set_hostflags
#define GENERAL_NAME_free kv_openssl.GENERAL_NAME_free
#define TLS_server_method kv_openssl.TLS_server_method
#define TLS_client_method kv_openssl.TLS_client_method
#define SSL_CTX_new kv_openssl.SSL_CTX_new
#define SSL_CTX_free kv_openssl.SSL_CTX_free
#define SSL_CTX_ctrl kv_openssl.SSL_CTX_ctrl
#define SSL_CTX_set_options kv_openssl.SSL_CTX_set_options
#define SSL_CTX_set_cipher_list kv_openssl.SSL_CTX_set_cipher_list
#define SSL_CTX_use_certificate_chain_file kv_openssl.SSL_CTX_use_certificate_chain_file
#define SSL_CTX_use_PrivateKey_file kv_openssl.SSL_CTX_use_PrivateKey_file
#define SSL_CTX_check_private_key kv_openssl.SSL_CTX_check_private_key
#define SSL_CTX_get0_certificate kv_openssl.SSL_CTX_get0_certificate
#define SSL_CTX_load_verify_locations kv_openssl.SSL_CTX_load_verify_locations
#define SSL_CTX_set_default_verify_paths kv_openssl.SSL_CTX_set_default_verify_paths
#define SSL_CTX_set_client_CA_list kv_openssl.SSL_CTX_set_client_CA_list
#define SSL_CTX_set_verify kv_openssl.SSL_CTX_set_verify
#define SSL_CTX_set_session_id_context kv_openssl.SSL_CTX_set_session_id_context
#define SSL_CTX_set_alpn_select_cb kv_openssl.SSL_CTX_set_alpn_select_cb
#define SSL_load_client_CA_file kv_openssl.SSL_load_client_CA_file
#define SSL_select_next_proto kv_openssl.SSL_select_next_proto
#define SSL_get_ex_data_X509_STORE_CTX_idx kv_openssl.SSL_get_ex_data_X509_STORE_CTX_idx
#define SSL_new kv_openssl.SSL_new
#define SSL_free kv_openssl.SSL_free
#define SSL_set_fd kv_openssl.SSL_set_fd
#define SSL_set_accept_state kv_openssl.SSL_set_accept_state
#define SSL_set_connect_state kv_openssl.SSL_set_connect_state
#define SSL_ctrl kv_openssl.SSL_ctrl
#define SSL_set1_host kv_openssl.SSL_set1_host
#define SSL_get0_param kv_openssl.SSL_get0_param
#define SSL_set_ex_data kv_openssl.SSL_set_ex_data
#define SSL_get_ex_data kv_openssl.SSL_get_ex_data
#define SSL_get_error kv_openssl.SSL_get_error
#define SSL_do_handshake kv_openssl.SSL_do_handshake
#define SSL_read_ex kv_openssl.SSL_read_ex
#define SSL_write_ex kv_openssl.SSL_write_ex
#define SSL_pending kv_openssl.SSL_pending
#define SSL_is_init_finished kv_openssl.SSL_is_init_finished
#define SSL_shutdown kv_openssl.SSL_shutdown
#define SSL_get0_alpn_selected kv_openssl.SSL_get0_alpn_selected
#define SSL_set_alpn_protos kv_openssl.SSL_set_alpn_protos
#define SSL_get_version kv_openssl.SSL_get_version
#define SSL_get0_peer_certificate kv_openssl.SSL_get0_peer_certificate
#define SSL_get_verify_result kv_openssl.SSL_get_verify_result
#define EVP_PKEY_Q_keygen kv_openssl.EVP_PKEY_Q_keygen
#define EVP_PKEY_free kv_openssl.EVP_PKEY_free
#define EVP_sha256 kv_openssl.EVP_sha256
#define RAND_bytes kv_openssl.RAND_bytes
#define BN_bin2bn kv_openssl.BN_bin2bn
#define BN_to_ASN1_INTEGER kv_openssl.BN_to_ASN1_INTEGER
#define BN_free kv_openssl.BN_free
#define X509_new kv_openssl.X509_new
#define X509_set_version kv_openssl.X509_set_version
#define X509_get_serialNumber kv_openssl.X509_get_serialNumber
#define X509_gmtime_adj kv_openssl.X509_gmtime_adj
#define X509_getm_notBefore kv_openssl.X509_getm_notBefore
#define X509_getm_notAfter kv_openssl.X509_getm_notAfter
#define X509_set_pubkey kv_openssl.X509_set_pubkey
#define X509_NAME_add_entry_by_txt kv_openssl.X509_NAME_add_entry_by_txt
#define X509_set_issuer_name kv_openssl.X509_set_issuer_name
#define X509V3_set_ctx kv_openssl.X509V3_set_ctx
#define X509V3_EXT_conf kv_openssl.X509V3_EXT_conf
#define X509_add_ext kv_openssl.X509_add_ext
#define X509_EXTENSION_free kv_openssl.X509_EXTENSION_free
#define X509_sign kv_openssl.X509_sign
#define BIO_new_file kv_openssl.BIO_new_file
#define PEM_write_bio_PrivateKey kv_openssl.PEM_write_bio_PrivateKey
#define PEM_write_bio_X509 kv_openssl.PEM_write_bio_X509
#define SSL_CTX_get_cert_store kv_openssl.SSL_CTX_get_cert_store
#define X509_STORE_add_crl kv_openssl.X509_STORE_add_crl
#define X509_STORE_set_flags kv_openssl.X509_STORE_set_flags
#define X509_STORE_CTX_set_error kv_openssl.X509_STORE_CTX_set_error
#define PEM_read_bio_X509_CRL kv_openssl.PEM_read_bio_X509_CRL
#define X509_CRL_free kv_openssl.X509_CRL_free
#define SSL_CTX_get0_param kv_openssl.SSL_CTX_get0_param
#define X509_VERIFY_PARAM_set1_host kv_openssl.X509_VERIFY_PARAM_set1_host
#endif

/// Loads libssl.so.3 once (thread-safe). 1 when every function above was found; 0 with the reason in
/// `error` (no OpenSSL 3 on this machine, or one missing a function).
int kv_openssl_load(char *error, size_t error_size);

#endif
