#ifndef CPROFILES_EPOLL_H
#define CPROFILES_EPOLL_H

// The few epoll calls the transport needs. Swift's Glibc module does not
// export <sys/epoll.h>, and `struct epoll_event` is packed on x86_64, so
// the transport goes through these wrappers that take plain integers.

#ifdef __linux__
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

enum {
    CPROFILES_EPOLL_READABLE = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR,
    CPROFILES_EPOLL_WRITABLE = EPOLLOUT | EPOLLHUP | EPOLLERR,
    /// The peer shut down its side (or the socket failed): what is left
    /// to read ends in EOF or an error, and no further edge will come.
    CPROFILES_EPOLL_PEER_CLOSED = EPOLLRDHUP | EPOLLHUP | EPOLLERR,
    CPROFILES_EPOLL_MAX_EVENTS = 64,
};

static inline int cprofiles_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Watches `fd` edge-triggered for input, output and the peer's shutdown,
/// once for its whole life: no further epoll_ctl per request.
static inline int cprofiles_epoll_add(int epfd, int fd, uint64_t key) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.u64 = key;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

static inline int cprofiles_epoll_remove(int epfd, int fd) {
    struct epoll_event event = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event);
}

/// Polls without waiting; fills `keys` and `events` (at most
/// CPROFILES_EPOLL_MAX_EVENTS each) and returns how many are ready.
static inline int cprofiles_epoll_poll(int epfd, uint64_t *keys, uint32_t *events) {
    struct epoll_event ready[CPROFILES_EPOLL_MAX_EVENTS];
    int n = epoll_wait(epfd, ready, CPROFILES_EPOLL_MAX_EVENTS, 0);
    for (int i = 0; i < n; i++) {
        keys[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return n;
}
#endif

#endif
