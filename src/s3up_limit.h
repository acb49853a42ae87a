/*
 * A per-process limit on failed tries (wrong passcodes): after `max`
 * failures of one key within `window`, that key waits until the window
 * ends. Thread-safe; memory bounded.
 */
#ifndef S3UP_LIMIT_H
#define S3UP_LIMIT_H

#include "s3up.h"

typedef struct s3up_limit_t s3up_limit_t;

apr_status_t s3up_limit_create(s3up_limit_t **out, int max, apr_interval_time_t window,
                               apr_pool_t *pchild);

/* How long key must wait before its next try: 0 when it may try now. */
apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now);

/* Count a failed try of key. */
void s3up_limit_fail(s3up_limit_t *l, const char *key, apr_time_t now);

/* A successful try: forget key's failures. */
void s3up_limit_clear(s3up_limit_t *l, const char *key);

#endif /* S3UP_LIMIT_H */
