#ifndef CEPOLL_H
#define CEPOLL_H

#include <stdint.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

/* Small helpers for the parts of the epoll ABI that Swift cannot reach
 * reliably: struct epoll_event is packed on x86_64 and carries a union, so
 * the event array is treated as opaque bytes and only touched from C. */

/* Size in bytes of one struct epoll_event, as the kernel lays it out. */
static inline size_t cepoll_event_size(void) { return sizeof(struct epoll_event); }

/* epoll_ctl with the user data stored as a 64-bit integer. */
static inline int cepoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

/* epoll_wait into an opaque buffer of `max` events. */
static inline int cepoll_wait(int epfd, void *events, int max, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, max, timeout_ms);
}

/* Event mask of the i-th event in a buffer filled by cepoll_wait. */
static inline uint32_t cepoll_event_mask(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].events;
}

/* User data of the i-th event in a buffer filled by cepoll_wait. */
static inline uint64_t cepoll_event_data(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].data.u64;
}

/* Epoll and eventfd flags as plain unsigned constants (they are enums and
 * macros in the system headers, which import awkwardly). */
static inline uint32_t cepoll_in(void) { return EPOLLIN; }
static inline uint32_t cepoll_out(void) { return EPOLLOUT; }
static inline uint32_t cepoll_err(void) { return EPOLLERR; }
static inline uint32_t cepoll_hup(void) { return EPOLLHUP; }
static inline uint32_t cepoll_rdhup(void) { return EPOLLRDHUP; }
static inline uint32_t cepoll_et(void) { return EPOLLET; }
static inline uint32_t cepoll_oneshot(void) { return EPOLLONESHOT; }
static inline int cepoll_cloexec(void) { return EPOLL_CLOEXEC; }
static inline int cepoll_efd_flags(void) { return EFD_CLOEXEC | EFD_NONBLOCK; }
static inline int cepoll_sfd_flags(void) { return SFD_CLOEXEC | SFD_NONBLOCK; }

/* accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC; the declaration needs _GNU_SOURCE, which the
 * Swift importer does not set, so it is defined in CEpoll.c. */
int cepoll_accept_nonblocking(int fd);

/* Names the calling thread (truncated to the 15 bytes Linux keeps), for ps/top/gdb. */
void cepoll_set_thread_name(const char *name);

#endif
