/*
 * Counters of the whole server: uploads, bytes, S3 requests by operation,
 * signing latency, notifications, passcode locks. They live in memory the
 * caller provides (httpd puts them in shared memory that all its processes
 * see); every update is an atomic add, so nothing is locked. Read as JSON
 * or as Prometheus text.
 */
#ifndef S3UP_METRICS_H
#define S3UP_METRICS_H

#include <jansson.h>

#include "s3up.h"

typedef enum {
    S3UP_M_UPLOADS_STARTED,
    S3UP_M_UPLOADS_COMPLETED,
    S3UP_M_UPLOADS_ABORTED,
    S3UP_M_UPLOADS_FAILED, /* refused at completion, or S3 failed to complete */
    S3UP_M_BYTES_COMPLETED,
    S3UP_M_NOTIFY_SENT,
    S3UP_M_NOTIFY_FAILED,   /* given up after every retry */
    S3UP_M_PASSCODE_LOCKED, /* passcode tries turned away by a lock */
    S3UP_M_CREDS_FETCHED,   /* temporary credentials fetched */
    S3UP_M_CREDS_FAILED,    /* fetches of credentials that failed */
    S3UP_M_COUNTERS
} s3up_metric_e;

typedef struct s3up_metrics_t s3up_metrics_t;

/* Bytes of memory the counters need. */
apr_size_t s3up_metrics_size(void);

/* Counters over mem (s3up_metrics_size() bytes, zeroed by its creator). */
s3up_metrics_t *s3up_metrics_attach(void *mem, apr_pool_t *p);

/* All of these accept m == NULL (nothing is counted). */
void s3up_metrics_add(s3up_metrics_t *m, s3up_metric_e which, apr_uint64_t n);

/* One request to S3 (or another AWS service) for op ("PutObject");
 * failed: no answer, or an answer that is an error other than "not
 * found" or "condition not met" (which are answers, not faults). */
void s3up_metrics_request(s3up_metrics_t *m, const char *op, int failed);

/* How long signing a part URL (or a batch of them) took. */
void s3up_metrics_signing(s3up_metrics_t *m, apr_interval_time_t took);

/* A fetch of credentials: fetched (with the time they expire, 0 for
 * never) or failed. The time is kept for status; the latest fetch of any
 * process sets it. */
void s3up_metrics_creds(s3up_metrics_t *m, apr_time_t expires, int fetched);

/* The counters as a JSON object, or as Prometheus text (format 0.0.4). */
json_t *s3up_metrics_json(const s3up_metrics_t *m, apr_pool_t *p);
const char *s3up_metrics_prometheus(const s3up_metrics_t *m, apr_pool_t *p);

#endif /* S3UP_METRICS_H */
