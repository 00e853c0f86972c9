#include "COpenSSL.h"
#include "OpenSSLSymbols.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/// etcd's `--auto-tls` certificate (its transport.SelfCert): a P-256 key, a certificate it signs itself
/// for one year, subject O=etcd, for server authentication, naming each host as an IP SAN or a DNS SAN.
int kv_tls_write_self_signed(const char *hosts, const char *cert_file, const char *key_file, char *error, size_t error_size) {
    if (!kv_openssl_load(error, error_size)) return 0;
    ERR_clear_error();
    int ok = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    BIO *out = NULL;
    const char *step = "generate a P-256 key";
    key = EVP_EC_gen("P-256");
    if (key == NULL) goto done;
    step = "build the certificate";
    cert = X509_new();
    if (cert == NULL || X509_set_version(cert, 2) != 1) goto done;
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) goto done;
    serial[0] &= 0x7f;   // a positive serial
    BIGNUM *number = BN_bin2bn(serial, sizeof serial, NULL);
    int serial_set = number != NULL && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != NULL;
    BN_free(number);
    if (!serial_set) goto done;
    if (X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600) == NULL
        || X509_set_pubkey(cert, key) != 1) goto done;
    X509_NAME *name = X509_get_subject_name(cert);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"etcd", -1, -1, 0) != 1
        || X509_set_issuer_name(cert, name) != 1) goto done;
    // "IP:127.0.0.1,DNS:localhost" from "127.0.0.1,localhost".
    char names[2048] = "";
    size_t used = 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", hosts);
    for (char *saved = NULL, *host = strtok_r(copy, ",", &saved); host != NULL; host = strtok_r(NULL, ",", &saved)) {
        unsigned char address[16];
        int is_ip = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
        used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0, "%s%s:%s",
                                 used > 0 ? "," : "", is_ip ? "IP" : "DNS", host);
        if (used >= sizeof names) goto done;
    }
    const char *extensions[][2] = {
        { "keyUsage", "critical,digitalSignature,keyEncipherment" },
        { "extendedKeyUsage", "serverAuth" },
        { "basicConstraints", "critical,CA:FALSE" },
        { "subjectAltName", names },
    };
    X509V3_CTX context;
    X509V3_set_ctx(&context, cert, cert, NULL, NULL, 0);
    for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        if (extensions[i][1][0] == 0) continue;
        X509_EXTENSION *extension = X509V3_EXT_conf(NULL, &context, extensions[i][0], extensions[i][1]);
        if (extension == NULL) goto done;
        int added = X509_add_ext(cert, extension, -1);
        X509_EXTENSION_free(extension);
        if (added != 1) goto done;
    }
    step = "sign the certificate";
    if (X509_sign(cert, key, EVP_sha256()) <= 0) goto done;
    // The key first, readable by its owner only.
    step = "write the key";
    int fd = open(key_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) goto done;
    close(fd);
    out = BIO_new_file(key_file, "w");
    if (out == NULL || PEM_write_bio_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL) != 1) goto done;
    BIO_free(out);
    step = "write the certificate";
    out = BIO_new_file(cert_file, "w");
    if (out == NULL || PEM_write_bio_X509(out, cert) != 1) goto done;
    ok = 1;
done:
    if (out != NULL) BIO_free(out);
    if (!ok && error != NULL && error_size > 0) {
        unsigned long code = ERR_peek_last_error();
        const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;
        snprintf(error, error_size, "--auto-tls: cannot %s: %s", step, reason != NULL ? reason : strerror(errno));
    }
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}
