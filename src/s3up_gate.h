/*
 * At most so many at once per key: how many parts of one upload httpd
 * passes on to S3 at the same time (a part URL through httpd can be PUT
 * any number of times, in parallel, for as long as it lives).
 *
 * The table lives in memory the caller provides, so httpd can put it in
 * shared memory that all its processes see, with a lock around each use.
 * Fixed size: when every slot near a key is busy, entering fails, which
 * is safe (the client tries again later).
 */
#ifndef S3UP_GATE_H
#define S3UP_GATE_H

#include "s3up_limit.h"

typedef struct s3up_gate_t s3up_gate_t;

/* Bytes of memory a table of `slots` needs. */
apr_size_t s3up_gate_size(int slots);

/* A gate over mem (s3up_gate_size(slots) bytes, zeroed by the creator of
 * the memory). lock may be NULL within one process and thread. */
s3up_gate_t *s3up_gate_attach(void *mem, int slots, s3up_limit_lock_fn *lock, void *baton,
                              apr_pool_t *p);

/* Enter for key: 1 when fewer than max were in, else 0 (nothing held). */
int s3up_gate_enter(s3up_gate_t *g, const char *key, int max);

/* Leave what s3up_gate_enter let in. */
void s3up_gate_leave(s3up_gate_t *g, const char *key);

#endif /* S3UP_GATE_H */
