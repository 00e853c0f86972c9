#define _GNU_SOURCE
#include <sys/socket.h>
#include "CEpoll.h"

int cepoll_accept_nonblocking(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#include <pthread.h>

void cepoll_set_thread_name(const char *name) {
    /* Linux limits thread names to 15 bytes; longer names are rejected, so truncate. */
    char buffer[16];
    size_t i = 0;
    for (; i < sizeof(buffer) - 1 && name[i] != 0; i++) buffer[i] = name[i];
    buffer[i] = 0;
    pthread_setname_np(pthread_self(), buffer);
}
