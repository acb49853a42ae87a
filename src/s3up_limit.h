/*
 * A limit on tries (passcodes): after `max` tries of one key within
 * `window`, that key waits until the window ends. A try is counted before
 * it is verified, in the same step as the check, so tries racing each
 * other cannot all pass.
 *
 * The table lives in memory the caller provides, so httpd can put it in
 * shared memory that all its processes see, with a lock around each use
 * (a global mutex). Fixed size: when it is full, the oldest windows near a
 * key's slot give way.
 */
#ifndef S3UP_LIMIT_H
#define S3UP_LIMIT_H

#include "s3up.h"

/* Longer keys count by their first S3UP_LIMIT_KEY_MAX bytes (a link id is 64). */
#define S3UP_LIMIT_KEY_MAX 64

typedef struct s3up_limit_t s3up_limit_t;

typedef void s3up_limit_lock_fn(void *baton, int lock);

/* Bytes of memory a table of `slots` needs. */
apr_size_t s3up_limit_size(int slots);

/* A limiter over mem (s3up_limit_size(slots) bytes, zeroed by the creator
 * of the memory). lock may be NULL within one process and thread. */
s3up_limit_t *s3up_limit_attach(void *mem, int slots, int max, apr_interval_time_t window,
                                s3up_limit_lock_fn *lock, void *baton, apr_pool_t *p);

/* How long key must wait before its next try: 0 when it may try now. */
apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now);

/* Take a try of key: 0 when it is counted and may go on, else how long
 * key must wait (nothing is counted). */
apr_interval_time_t s3up_limit_take(s3up_limit_t *l, const char *key, apr_time_t now);

/* Known from elsewhere (another server's count): key waits until `until`. */
void s3up_limit_block(s3up_limit_t *l, const char *key, apr_time_t until, apr_time_t now);

/* A successful try: forget key's tries. */
void s3up_limit_clear(s3up_limit_t *l, const char *key);

#endif /* S3UP_LIMIT_H */
