/*
 * delaylink: a user-space point-to-point link that holds every packet DELAY_MS
 * in each direction, for emulating a WAN round trip on a kernel without netem.
 *
 *   delaylink NETNS HOST_IF NS_IF DELAY_MS
 *
 * Opens tun device HOST_IF in the current network namespace and tun device
 * NS_IF inside the named namespace (/var/run/netns/NETNS, made by `ip netns
 * add`), prints "ready" on stdout, then copies packets between the two, each
 * one DELAY_MS after it was read, in order, without loss (when a direction's
 * queue is full it stops reading and the kernel's tun queue absorbs the rest).
 * The caller gives the devices their addresses and MTU with `ip`. Both devices
 * vanish when this program exits (SIGTERM/SIGINT: clean exit with counters on
 * stderr). Built by t/bench/browser with cc; used only between this machine and
 * a namespace on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4096
#define SLOT_BYTES 65536

struct slot {
    int64_t due_ns;
    uint32_t len;
};

struct queue {
    const char *name;
    int in, out;            /* read from in, write to out after the delay */
    struct slot meta[SLOTS];
    unsigned char *buf;     /* SLOTS * SLOT_BYTES, touched lazily */
    unsigned head, tail;    /* head: next to send; tail: next free */
    uint64_t packets, bytes, full_events;
    unsigned max_depth;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int tun_open(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("delaylink: /dev/net/tun");
        exit(1);
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "delaylink: TUNSETIFF %s: %s\n", name, strerror(errno));
        exit(1);
    }
    /* Non-blocking reads: poll says when, read until EAGAIN. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void queue_init(struct queue *q, const char *name, int in, int out)
{
    memset(q, 0, sizeof *q);
    q->name = name;
    q->in = in;
    q->out = out;
    q->buf = mmap(NULL, (size_t)SLOTS * SLOT_BYTES, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (q->buf == MAP_FAILED) {
        perror("delaylink: mmap");
        exit(1);
    }
}

static unsigned depth(const struct queue *q) { return q->tail - q->head; }

/* Read what the kernel has for this direction, stamping each packet. */
static void queue_fill(struct queue *q, int64_t delay_ns)
{
    while (depth(q) < SLOTS) {
        unsigned i = q->tail % SLOTS;
        ssize_t n = read(q->in, q->buf + (size_t)i * SLOT_BYTES, SLOT_BYTES);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return;
            }
            fprintf(stderr, "delaylink: read %s: %s\n", q->name, strerror(errno));
            exit(1);
        }
        q->meta[i].len = (uint32_t)n;
        q->meta[i].due_ns = now_ns() + delay_ns;
        q->tail++;
        if (depth(q) > q->max_depth) {
            q->max_depth = depth(q);
        }
    }
    q->full_events++;
}

/* Write every packet that is due; return ns until the next one (-1: none). */
static int64_t queue_drain(struct queue *q)
{
    while (depth(q)) {
        unsigned i = q->head % SLOTS;
        int64_t wait = q->meta[i].due_ns - now_ns();
        if (wait > 0) {
            return wait;
        }
        ssize_t n = write(q->out, q->buf + (size_t)i * SLOT_BYTES, q->meta[i].len);
        if (n < 0 && errno == EAGAIN) {
            return 200000; /* should not happen with tun; retry soon */
        }
        if (n < 0 && errno != EINVAL && errno != EIO) {
            fprintf(stderr, "delaylink: write %s: %s\n", q->name, strerror(errno));
            exit(1);
        }
        q->packets++;
        q->bytes += q->meta[i].len;
        q->head++;
    }
    return -1;
}

int main(int argc, char **argv)
{
    char nspath[512];
    int self, ns, host_fd, ns_fd;
    int64_t delay_ns;
    static struct queue up, down;

    if (argc != 5) {
        fprintf(stderr, "usage: %s NETNS HOST_IF NS_IF DELAY_MS\n", argv[0]);
        return 2;
    }
    delay_ns = (int64_t)(atof(argv[4]) * 1e6);
    snprintf(nspath, sizeof nspath, "/var/run/netns/%s", argv[1]);

    self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ns = open(nspath, O_RDONLY | O_CLOEXEC);
    if (self < 0 || ns < 0) {
        fprintf(stderr, "delaylink: %s: %s\n", self < 0 ? "/proc/self/ns/net" : nspath,
                strerror(errno));
        return 1;
    }
    host_fd = tun_open(argv[2]);
    if (setns(ns, CLONE_NEWNET) < 0) {
        perror("delaylink: setns");
        return 1;
    }
    ns_fd = tun_open(argv[3]);
    if (setns(self, CLONE_NEWNET) < 0) {
        perror("delaylink: setns back");
        return 1;
    }
    close(ns);
    close(self);

    /* up: namespace -> host (what the namespace sends); down: host -> namespace */
    queue_init(&up, "up", ns_fd, host_fd);
    queue_init(&down, "down", host_fd, ns_fd);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("ready\n");
    fflush(stdout);

    while (!stop) {
        struct pollfd p[2];
        struct queue *qs[2] = {&up, &down};
        int64_t next = -1;
        int n = 0;

        for (int k = 0; k < 2; k++) {
            int64_t w = queue_drain(qs[k]);
            if (w >= 0 && (next < 0 || w < next)) {
                next = w;
            }
        }
        for (int k = 0; k < 2; k++) {
            if (depth(qs[k]) < SLOTS) {
                p[n].fd = qs[k]->in;
                p[n].events = POLLIN;
                p[n].revents = 0;
                n++;
            }
        }
        struct timespec ts, *tp = NULL;
        if (next >= 0) {
            ts.tv_sec = next / 1000000000;
            ts.tv_nsec = next % 1000000000;
            tp = &ts;
        } else if (n == 0) {
            ts.tv_sec = 0;
            ts.tv_nsec = 1000000;
            tp = &ts;
        }
        if (ppoll(p, (nfds_t)n, tp, NULL) < 0 && errno != EINTR) {
            perror("delaylink: ppoll");
            return 1;
        }
        for (int k = 0; k < 2; k++) {
            if (depth(qs[k]) < SLOTS) {
                queue_fill(qs[k], delay_ns);
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        struct queue *q = k ? &down : &up;
        fprintf(stderr, "delaylink: %s: %llu packets, %llu bytes, max queue %u, full %llu times\n",
                q->name, (unsigned long long)q->packets, (unsigned long long)q->bytes,
                q->max_depth, (unsigned long long)q->full_events);
    }
    return 0;
}
