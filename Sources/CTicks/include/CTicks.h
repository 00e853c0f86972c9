#ifndef CTICKS_H
#define CTICKS_H

#include <stdint.h>
#include <time.h>

/// A monotonic tick counter cheap enough to time every request: the time-stamp counter on x86-64
/// (constant-rate and not stopped in idle states on every CPU with constant_tsc and nonstop_tsc, which
/// is every x86-64 CPU of the last fifteen years), the virtual counter on arm64, CLOCK_MONOTONIC
/// nanoseconds elsewhere. Not serializing: it may be read a few instructions early or late.
static inline uint64_t kv_ticks(void) {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t value;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(value));
    return value;
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
#endif
}

#endif
