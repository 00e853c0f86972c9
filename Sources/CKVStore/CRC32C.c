#include "CKVStore.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <nmmintrin.h>

int ckv_crc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx >> 20) & 1; /* CPUID.1:ECX.SSE4_2[bit 20] */
}

/* Eight bytes per CRC32 instruction, then the tail a byte at a time. `crc` is the register value
 * (already inverted by the caller). */
__attribute__((target("sse4.2")))
uint32_t ckv_crc32c_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = crc;
    while (count >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p += 1;
        count -= 1;
    }
    return c32;
}

#else

int ckv_crc32c_hardware_available(void) { return 0; }
uint32_t ckv_crc32c_update(uint32_t crc, const void *bytes, size_t count) { (void)bytes; (void)count; return crc; }

#endif
