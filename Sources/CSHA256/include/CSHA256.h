#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 compression with the x86 SHA extensions (SHA-NI), for KVStore's SHA256.
 *
 * csha256_hardware_available() says whether this CPU has them (and SSSE3 and SSE4.1, which the code
 * also uses); it is 0 on other architectures. Call csha256_compress only when it returned 1.
 *
 * csha256_compress runs the FIPS 180-4 compression function over `count` consecutive 64-byte blocks
 * at `blocks` (any alignment), updating `state`: the eight working words H0...H7 in that order, as
 * native integers. */
int csha256_hardware_available(void);
void csha256_compress(uint32_t state[8], const void *blocks, size_t count);

#endif
