/*
 * Counts per key over a fixed table, for two limits:
 *
 *  - tries in a window (passcodes): after `max` tries of one key within
 *    `window`, that key waits until the window ends. A try is counted
 *    before it is verified, in the same step as the check, so tries racing
 *    each other cannot all pass;
 *  - at most so many at once (window 0): how many parts of one upload
 *    httpd passes on to S3 at the same time (a part URL through httpd can
 *    be PUT any number of times, in parallel, for as long as it lives).
 *    What enters is counted until it leaves.
 *
 * The table lives in memory the caller provides, so httpd can put it in
 * shared memory that all its processes see, with a lock around each use
 * (a global mutex). Fixed size: when it is full near a key, the oldest
 * windows give way; keys at once never do: entering fails, which is safe
 * (the client tries again later).
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

/* A limit over mem (s3up_limit_size(slots) bytes, zeroed by the creator
 * of the memory): `max` tries per `window`, or with a window of 0 at most
 * so many at once (the max given to s3up_limit_enter). lock may be NULL
 * within one process and thread. */
s3up_limit_t *s3up_limit_attach(void *mem, int slots, int max, apr_interval_time_t window,
                                s3up_limit_lock_fn *lock, void *baton, apr_pool_t *p);

/* Tries. How long key must wait before its next try: 0 when it may try
 * now. */
apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now);

/* Take a try of key: 0 when it is counted and may go on, else how long
 * key must wait (nothing is counted). */
apr_interval_time_t s3up_limit_take(s3up_limit_t *l, const char *key, apr_time_t now);

/* Known from elsewhere (another server's count): key waits until `until`. */
void s3up_limit_block(s3up_limit_t *l, const char *key, apr_time_t until, apr_time_t now);

/* A successful try: forget key's tries. */
void s3up_limit_clear(s3up_limit_t *l, const char *key);

/* At once (window 0). Enter for key: 1 when fewer than max were in, else
 * 0 (nothing is counted). */
int s3up_limit_enter(s3up_limit_t *l, const char *key, int max);

/* Leave what s3up_limit_enter let in. */
void s3up_limit_leave(s3up_limit_t *l, const char *key);

#endif /* S3UP_LIMIT_H */
