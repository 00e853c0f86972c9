#include "COpenSSL.h"
#define KV_OPENSSL_LOADER
#include "OpenSSLSymbols.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct kv_openssl_api kv_openssl;

static pthread_once_t kv_openssl_once = PTHREAD_ONCE_INIT;
static int kv_openssl_loaded = 0;
static char kv_openssl_failure[512] = "";

static void kv_openssl_load_once(void) {
    // The SONAME of OpenSSL 3; libssl brings libcrypto with it, and dlsym on its handle finds both.
    void *handle = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(kv_openssl_failure, sizeof kv_openssl_failure,
                 "TLS needs the system's OpenSSL 3 (libssl.so.3): %s", reason != NULL ? reason : "cannot load it");
        return;
    }
#define KV_OPENSSL_RESOLVE(name)                                                                          \
    *(void **)(&kv_openssl.name) = dlsym(handle, #name);                                                   \
    if (kv_openssl.name == NULL) {                                                                         \
        snprintf(kv_openssl_failure, sizeof kv_openssl_failure,                                            \
                 "TLS needs the system's OpenSSL 3: libssl.so.3 has no function %s", #name);               \
        return;                                                                                            \
    }
    KV_OPENSSL_FUNCTIONS(KV_OPENSSL_RESOLVE)
#undef KV_OPENSSL_RESOLVE
    unsigned long version = kv_openssl.OpenSSL_version_num();
    if (version < 0x30000000UL) {
        snprintf(kv_openssl_failure, sizeof kv_openssl_failure,
                 "TLS needs OpenSSL 3; libssl.so.3 reports version %lx", version);
        return;
    }
    kv_openssl_loaded = 1;   // the handle stays open for the life of the process
}

int kv_openssl_load(char *error, size_t error_size) {
    pthread_once(&kv_openssl_once, kv_openssl_load_once);
    if (!kv_openssl_loaded && error != NULL && error_size > 0) snprintf(error, error_size, "%s", kv_openssl_failure);
    return kv_openssl_loaded;
}

int kv_tls_available(char *error, size_t error_size) {
    return kv_openssl_load(error, error_size);
}
