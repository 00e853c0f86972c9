#include "CKVStore.h"

#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>
#include <immintrin.h>

int ckv_sha256_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int ssse3 = (ecx >> 9) & 1;
    const int sse41 = (ecx >> 19) & 1;
    if (!ssse3 || !sse41) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx >> 29) & 1; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}

/* The round constants K0...K63 (FIPS 180-4 section 4.2.2). */
static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds starting at schedule word 4*i: `w` holds W[4i...4i+3] (lane 0 first). SHA256RNDS2 does two
 * rounds on (A,B,E,F) and (C,D,G,H) with the two W+K sums in the low half of its third operand, and
 * returns the new (A,B,E,F); the old (A,B,E,F) is then the new (C,D,G,H), so the two registers swap
 * roles after each instruction and are back in place after four rounds. */
#define FOUR_ROUNDS(w, i)                                                                       \
    do {                                                                                        \
        __m128i wk = _mm_add_epi32((w), _mm_load_si128((const __m128i *)&round_constants[4 * (i)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                           \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));                  \
    } while (0)

/* The next four schedule words W[t+16...t+19] from w0 = W[t...t+3] ... w3 = W[t+12...t+15]:
 * SHA256MSG1 adds sigma0 of the following word to each of W[t...t+3]; W[t+9...t+12] is added by hand;
 * SHA256MSG2 adds sigma1 of the word two back, including the two words it produces itself. */
#define NEXT_WORDS(w0, w1, w2, w3) \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

SHA_TARGET
void ckv_sha256_compress(uint32_t state[8], const void *blocks, size_t count) {
    /* Byte order within each 32-bit lane reversed: the message words are big-endian. */
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    /* The instructions want the state as (lanes 3...0) A,B,E,F and C,D,G,H. */
    __m128i abcd = _mm_loadu_si128((const __m128i *)&state[0]); /* lanes 0...3: A B C D */
    __m128i efgh = _mm_loadu_si128((const __m128i *)&state[4]); /* lanes 0...3: E F G H */
    abcd = _mm_shuffle_epi32(abcd, 0xB1);                        /* B A D C */
    efgh = _mm_shuffle_epi32(efgh, 0x1B);                        /* H G F E */
    __m128i abef = _mm_alignr_epi8(abcd, efgh, 8);               /* F E B A */
    __m128i cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);            /* H G D C */

    const unsigned char *block = (const unsigned char *)blocks;
    for (size_t n = 0; n < count; n++, block += 64) {
        const __m128i saved_abef = abef;
        const __m128i saved_cdgh = cdgh;

        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 48)), byteswap);

        /* Rounds 0...47 in groups of sixteen, each group computing the next sixteen schedule words. */
        for (int group = 0; group < 3; group++) {
            FOUR_ROUNDS(w0, 4 * group + 0); w0 = NEXT_WORDS(w0, w1, w2, w3);
            FOUR_ROUNDS(w1, 4 * group + 1); w1 = NEXT_WORDS(w1, w2, w3, w0);
            FOUR_ROUNDS(w2, 4 * group + 2); w2 = NEXT_WORDS(w2, w3, w0, w1);
            FOUR_ROUNDS(w3, 4 * group + 3); w3 = NEXT_WORDS(w3, w0, w1, w2);
        }
        /* Rounds 48...63 use the last sixteen words. */
        FOUR_ROUNDS(w0, 12);
        FOUR_ROUNDS(w1, 13);
        FOUR_ROUNDS(w2, 14);
        FOUR_ROUNDS(w3, 15);

        abef = _mm_add_epi32(abef, saved_abef);
        cdgh = _mm_add_epi32(cdgh, saved_cdgh);
    }

    /* Back to H0...H7 order. */
    const __m128i low = _mm_shuffle_epi32(abef, 0x1B);  /* A B E F */
    const __m128i high = _mm_shuffle_epi32(cdgh, 0xB1); /* G H C D */
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(low, high, 0xF0)); /* A B C D */
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(high, low, 8));   /* E F G H */
}

#else

int ckv_sha256_hardware_available(void) { return 0; }

void ckv_sha256_compress(uint32_t state[8], const void *blocks, size_t count) {
    (void)state; (void)blocks; (void)count;
    __builtin_trap(); /* never called: ckv_sha256_hardware_available() is 0 */
}

#endif
