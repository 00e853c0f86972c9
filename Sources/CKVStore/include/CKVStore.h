#ifndef CKVSTORE_H
#define CKVSTORE_H

#include <stddef.h>
#include <stdint.h>

/* The few things KVStore needs from C: SHA-256 compression on the x86 SHA extensions, CRC-32C on SSE4.2,
 * and a prefetch. */

/* SHA-256 compression with the x86 SHA extensions (SHA-NI), for KVStore's SHA256.
 *
 * ckv_sha256_hardware_available() says whether this CPU has them (and SSSE3 and SSE4.1, which the code
 * also uses); it is 0 on other architectures. Call ckv_sha256_compress only when it returned 1.
 *
 * ckv_sha256_compress runs the FIPS 180-4 compression function over `count` consecutive 64-byte blocks
 * at `blocks` (any alignment), updating `state`: the eight working words H0...H7 in that order, as
 * native integers. */
int ckv_sha256_hardware_available(void);
void ckv_sha256_compress(uint32_t state[8], const void *blocks, size_t count);

/* CRC-32C (Castagnoli) with the SSE4.2 CRC32 instruction, for KVStore's CRC32C.
 *
 * ckv_crc32c_hardware_available() says whether this CPU has it (0 on other architectures); call
 * ckv_crc32c_update only when it returned 1. `crc` is the running register value, inverted as the
 * instruction expects (~0 at the start, inverted again at the end by the caller). */
int ckv_crc32c_hardware_available(void);
uint32_t ckv_crc32c_update(uint32_t crc, const void *bytes, size_t count);

/* Asks the CPU to start loading the cache line holding `address` for reading; never faults. */
static inline void ckv_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
